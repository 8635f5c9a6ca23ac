import { flushPromises, mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it, vi } from 'vitest'
import AlarmDetailView from '@/views/AlarmDetailView.vue'
import { useSession } from '@/stores/session'

const detail = (dispatched: string | null, name: string | null) => ({
  id: 'al-1', rule: 'tamper_negative_power', rule_name: '负功率', enterprise_id: 'e1', enterprise_name: '如皋某厂',
  severity: 'high', state: dispatched ? 'dispatched' : 'pending', state_name: dispatched ? '已派发' : '待响应',
  active: true, data_start: '2026-11-30T08:00:00+08:00', created_at: '2026-11-30T08:20:00+08:00',
  updated_at: '2026-11-30T08:20:00+08:00', response_due: null, investigation_due: null, overdue: [],
  dispatched_to: dispatched, point_ids: ['p1'], version: 3,
  episodes: [{ start: '2026-11-30T08:00:00+08:00', end: null, retracted: false, words: ['功率为负'],
    thresholds: { limit_kw: -3, negative_kw: 3 }, evidence: {}, quality: {}, suppressions: [] }],
  quality_words: [], time_left_s: {}, response: null, verification: null, closed_at: null, close_note: '',
  escalated_at: null, reminders: [], photos: [], series_start: '2026-11-30T07:00:00+08:00',
  series_end: '2026-11-30T09:00:00+08:00', series: [], audit: [], notifications: [],
  town_name: '城北街道', branch_name: '执法一局', dispatched_to_name: name, lines: ['1号线', '2号线'],
})
let reply: unknown

afterEach(() => vi.unstubAllGlobals())

async function render(body: unknown) {
  reply = body
  setActivePinia(createPinia())
  const session = useSession()
  session.me = { role: 'air', actions: ['alarms.read'] } as unknown as typeof session.me
  vi.stubGlobal('fetch', vi.fn(async (url: string) => {
    if (url.includes('/health')) return Response.json({ status: 'ok', time: '2026-11-30T08:30:00+08:00', rate: 10 })
    if (url.includes('/dashboard/summary')) return Response.json({ towns: [], branches: [] })
    if (url.includes('/alarms/al-1')) return Response.json(reply)
    throw new Error(`unexpected ${url}`)
  }))
  const w = mount(AlarmDetailView, {
    props: { alarmId: 'al-1' },
    global: { plugins: [ElementPlus], stubs: { PowerChart: true, EvidenceButton: true, AuthImage: true, RouterLink: true } },
  })
  await flushPromises()
  return w
}

function fact(w: Awaited<ReturnType<typeof render>>, label: string): string {
  const cells = w.findAll('.facts .el-descriptions__label')
  const i = cells.findIndex((c) => c.text() === label)
  expect(i, label).toBeGreaterThanOrEqual(0)
  return cells[i]!.element.nextElementSibling?.textContent?.trim() ?? ''
}

describe('alarm detail: where', () => {
  it('names the town, the branch and the lines, and 派发至 by the branch name', async () => {
    const w = await render(detail('branch-7', '执法七局'))
    expect(fact(w, '所在镇（区）')).toBe('城北街道')
    expect(fact(w, '所属分局')).toBe('执法一局')
    expect(fact(w, '产治关系')).toBe('1号线、2号线')
    expect(fact(w, '派发至')).toBe('执法七局')
    expect(w.text()).not.toContain('branch-7')
  })
  it('never shows a raw branch id when the name is unknown', async () => {
    const w = await render(detail('branch-9', null))
    expect(fact(w, '派发至')).toBe('其他分局')
    expect(w.text()).not.toContain('branch-9')
  })
})
