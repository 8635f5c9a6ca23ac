import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import DeadlineCountdown from '@/components/DeadlineCountdown.vue'

const due = '2026-12-01T10:00:00+08:00'
const at = (iso: string) => new Date(iso).getTime()

describe('DeadlineCountdown', () => {
  it('counts down to the limit', () => {
    const w = mount(DeadlineCountdown, { props: { due, label: '响应', now: at('2026-12-01T08:54:30+08:00') } })
    expect(w.text()).toBe('响应剩余 1小时05分')
    expect(w.classes()).not.toContain('overdue')
    expect(w.attributes('title')).toBe('响应时限 2026-12-01 10:00')
  })
  it('warns in the last half hour', () => {
    const w = mount(DeadlineCountdown, { props: { due, label: '响应', now: at('2026-12-01T09:45:00+08:00') } })
    expect(w.classes()).toContain('soon')
  })
  it('turns red and says by how much once passed', () => {
    const w = mount(DeadlineCountdown, { props: { due, label: '核查', now: at('2026-12-01T10:12:00+08:00') } })
    expect(w.text()).toBe('核查超时 12分')
    expect(w.classes()).toContain('overdue')
    expect(w.attributes('data-overdue')).toBe('yes')
  })
  it('shows nothing without a limit', () => {
    const w = mount(DeadlineCountdown, { props: { due: null, label: '响应', now: 0 } })
    expect(w.text()).toBe('')
  })
})
