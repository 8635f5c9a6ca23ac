import { mount, flushPromises } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it, vi } from 'vitest'
import RandomChecksView from '@/views/RandomChecksView.vue'
import { useSession } from '@/stores/session'

const person = (id: string, name: string) => ({ account_id: id, display_name: name })
const draw = {
  draw_id: 'rcd.b1.2026-11.1', branch_id: 'b1', branch_name: '执法一局', period: '2026-11', period_start: '2026-11-01',
  period_end: '2026-11-30', generation: 1, n: 2, seed: 'seed-abcdef12', algorithm: 'sha256-rank-v1', candidate_count: 48,
  candidates: [], excluded: [{ enterprise_id: 'e9', enterprise_name: '停产厂', reason: '豁免：长期停产' }],
  pool: [person('a1', '张三'), person('a2', '李四')], drawn: ['e1', 'e2'], drawn_at: '2026-11-01T09:00:00+08:00',
  drawn_by: 'a0', reason: '', supersedes: '', superseded_by: '', counts: { pending: 0, done: 1, overdue: 1, void: 0 },
}
const check = (id: string, status: string, statusName: string, record: unknown) => ({
  check_id: id, draw_id: draw.draw_id, branch_id: 'b1', period: '2026-11', period_end: '2026-11-30', enterprise_id: id,
  enterprise_name: `企业${id}`, inspectors: [person('a1', '张三'), person('a2', '李四')], status, status_name: statusName,
  late: false, record,
})
const record = {
  conclusion: 'issues', conclusion_name: '存在问题', text: '治理设施停运', photo_ids: [], alarm_ids: ['al-7'],
  findings: [
    { item: 'construction', item_name: '现场端建设规范化情况', ok: true, note: '' },
    { item: 'operation', item_name: '用电工况监控运行状况', ok: false, note: '停运' },
  ],
  inspectors: [person('a1', '张三'), person('a2', '李四')], inspected_at: '2026-11-15T10:00:00+08:00', recorded_by: 'a1',
  recorded_at: '2026-11-15T16:00:00+08:00',
}

function answer(url: string): unknown {
  if (url.includes('/health')) return { status: 'ok', time: '2026-11-30T08:05:00+08:00', rate: 10 } // a demo's clock
  if (url.includes('/dashboard/summary')) return { towns: [], branches: [{ id: 'b1', name: '执法一局' }] }
  if (url.includes('/random-checks/draws/')) {
    return { draw, checks: [check('e1', 'done', '已检查', record), check('e2', 'overdue', '逾期', null)] }
  }
  if (url.includes('/random-checks/draws')) return { items: [draw], next_cursor: null }
  throw new Error(`unexpected ${url}`)
}

afterEach(() => vi.unstubAllGlobals())

async function render(actions: string[]) {
  setActivePinia(createPinia())
  const session = useSession()
  session.me = { actions } as unknown as typeof session.me
  vi.stubGlobal('fetch', vi.fn(async (url: string) => new Response(JSON.stringify(answer(url)), {
    status: 200, headers: { 'Content-Type': 'application/json' },
  })))
  const w = mount(RandomChecksView, { global: { plugins: [ElementPlus], stubs: { RouterLink: { template: '<a><slot /></a>' } } } })
  await flushPromises()
  return w
}

describe('双随机抽查 screen', () => {
  it('lists the draws with their seed and counts, opens one and a record with its findings and alarms', async () => {
    const w = await render(['random_checks.read'])
    expect(w.text()).toContain('seed-abcdef12')
    expect(w.text()).toContain('已检查 1 · 逾期 1')
    expect(w.text()).not.toContain('重新抽取')
    expect(w.findAll('button').some((b) => b.text() === '抽取')).toBe(false)
    await w.find('.el-table__row').trigger('click')
    await flushPromises()
    expect(w.text()).toContain('执法一局 2026-11 抽查（第 1 次抽取）')
    expect(w.text()).toContain('停产厂（豁免：长期停产）')
    const rows = w.findAll('.checks .el-table__row')
    expect(rows.map((r) => r.text())).toEqual([expect.stringContaining('已检查'), expect.stringContaining('逾期')])
    await rows[0]!.trigger('click')
    await flushPromises()
    const lines = w.findAll('.findings li').map((l) => l.text())
    expect(lines).toEqual(['用电工况监控运行状况：问题（停运）', '现场端建设规范化情况：正常'])
    expect(w.find('.alarms').text()).toContain('al-7')
  })
  it("offers drawing to those who may draw, for the platform's month", async () => {
    const w = await render(['random_checks.read', 'random_checks.draw'])
    const open = w.findAll('button').find((b) => b.text() === '抽取')
    expect(open).toBeDefined()
    await open!.trigger('click')
    await flushPromises()
    expect((w.vm as unknown as { form: { period: string } }).form.period).toBe('2026-11')
  })
})
