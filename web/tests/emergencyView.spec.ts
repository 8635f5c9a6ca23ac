import { flushPromises, mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it, vi } from 'vitest'
import EmergencyView from '@/views/EmergencyView.vue'
import { useSession } from '@/stores/session'

// The platform runs on 2026-11-30 (a demo's clock) while the browser says 2026-12-06: the phase is the API's.
const alert = (id: string, phase: string, active: boolean) => ({
  id, level: 'orange', level_name: '橙色', start: '2026-11-30T10:00:00+08:00', end: '2026-12-01T10:00:00+08:00',
  title: `预警${id}`, enterprise_ids: null, town_ids: null, declared_by: 'em', active, phase,
})
let complianceCalls = 0

function answer(url: string): unknown {
  if (url.includes('/health')) return { status: 'ok', time: '2026-11-30T12:00:00+08:00', rate: 10 }
  if (url.includes('/dashboard/summary')) return { towns: [], branches: [] }
  if (url.includes('/compliance')) {
    complianceCalls += 1
    return { rows: [], next_cursor: null, evaluated_until: '2026-11-30T12:00:00+08:00' }
  }
  if (url.includes('/emergency/alerts')) return { items: [alert('YJ-1', 'active', true), alert('YJ-0', 'ended', false)], next_cursor: null }
  throw new Error(`unexpected ${url}`)
}

afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

async function render() {
  vi.useFakeTimers({ now: new Date('2026-12-06T15:00:00+08:00'), toFake: ['setTimeout', 'setInterval', 'Date'] })
  complianceCalls = 0
  setActivePinia(createPinia())
  const session = useSession()
  session.me = { actions: ['emergency.alerts.read', 'emergency.alerts.end', 'emergency.alerts.publish'] } as unknown as typeof session.me
  vi.stubGlobal('fetch', vi.fn(async (url: string) => new Response(JSON.stringify(answer(url)), {
    status: 200, headers: { 'Content-Type': 'application/json' },
  })))
  const w = mount(EmergencyView, { global: { plugins: [ElementPlus] } })
  await flushPromises()
  return w
}

describe('应急管控 screen', () => {
  it("shows the platform's phase and offers 解除 for the running alert though the browser's clock is days ahead", async () => {
    const w = await render()
    const rows = w.findAll('.el-table__body-wrapper')[0]!.findAll('.el-table__row')
    expect(rows[0]!.text()).toContain('生效中')
    expect(rows[0]!.text()).toContain('解除')
    expect(rows[1]!.text()).toContain('已结束')
    expect(rows[1]!.text()).not.toContain('解除')
    expect(w.text()).toContain('措施落实情况 · 橙色预警 预警YJ-1')
  })
  it("refreshes the active alert's compliance every minute and on 刷新", async () => {
    const w = await render()
    const first = complianceCalls
    await vi.advanceTimersByTimeAsync(60_000)
    await flushPromises()
    expect(complianceCalls).toBe(first + 1)
    await w.findAll('button').find((b) => b.text() === '刷新')!.trigger('click')
    await flushPromises()
    expect(complianceCalls).toBe(first + 2)
  })
})
