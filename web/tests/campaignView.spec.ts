import { flushPromises, mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Schemas } from '@/api/client'
import CampaignView from '@/views/CampaignView.vue'
import { useSession } from '@/stores/session'

// The answers are typed as the API's schema (src/api/schema.d.ts): vue-tsc refuses a stub the API could not send.
const deadlines = { survey: '2022-09-30', network: '2022-10-20', filing: '2022-10-31' }
const where = { enterprise_id: 'ent-1', enterprise_name: '如皋示例化工有限公司', town_id: 'town-1', branch_id: 'br-1' }
const overdue: Schemas['OverdueOut'] = { ...where, step: 'network', step_name: '安装联网', due: '2022-10-20', days_overdue: 3, unit: '日历日' }
const progress: Schemas['ProgressOut'] = {
  campaign: {
    campaign_id: 'c1', name: '2022 年工况用电监控安装', deadlines, town_deadlines: {}, filing_workdays: 5,
    trial_threshold: 0.9, trial_workdays: 5,
  },
  today: '2022-10-23', towns: [], branches: [], overdue: [overdue], calendar_warning: null,
}
const step = { at: '2022-10-03T10:00:00+08:00', by: 'acc-installer', photo_ids: [], remarks: '' }
let file: Schemas['FileOut']

const installed = (extra: Partial<Schemas['FileOut']>): Schemas['FileOut'] => ({
  ...where, install_status: 'installed', install_status_name: '已安装', version: 4, deadlines,
  survey: { ...step, facilities: ['喷漆房'], planned_points: ['喷漆房风机', '活性炭风机', '锅炉'] },
  installation: { ...step, at: '2022-10-18T09:00:00+08:00' }, networked_at: null, trial: null, earlier_trials: [],
  acceptance: null, filing_due: null, filing: null, exemption: null, overdue: [overdue], late_steps: [], network: null,
  calendar_warning: null, ...extra,
})

function answer(url: string): unknown {
  if (url.includes('/health')) return { status: 'ok', time: '2022-10-23T12:00:00+08:00', rate: 1 }
  if (url.endsWith('/campaign/progress')) return progress
  if (url.endsWith('/enterprises/ent-1/campaign')) return file
  throw new Error(`unexpected ${url}`)
}

afterEach(() => {
  vi.unstubAllGlobals()
})

async function openDrawer() {
  setActivePinia(createPinia())
  const session = useSession()
  session.me = { actions: ['campaign.read'] } as unknown as typeof session.me
  vi.stubGlobal('fetch', vi.fn(async (url: string) => new Response(JSON.stringify(answer(url)), {
    status: 200, headers: { 'Content-Type': 'application/json' },
  })))
  const w = mount(CampaignView, { global: { plugins: [ElementPlus] } })
  await flushPromises()
  await w.get('.overdue-list .el-button').trigger('click')
  await flushPromises()
  return w.get('.file')
}

describe('安装进度: an enterprise\'s file in the drawer', () => {
  it('says the 已联网 shortfall, each step done late with how late, and the calendar fallback', async () => {
    file = installed({
      late_steps: [{ step: 'survey', step_name: '勘察', due: '2022-09-30', done_on: '2022-10-03', days_late: 3 }],
      network: { planned: 3, registered: 2, with_data: 2, shortfall: 1, complete: false, text: '勘察拟装 3 个点位，已登记 2 个，缺 1 个' },
      calendar_warning: '2022年度法定节假日安排未录入，按周一至周五计算',
    })
    const drawer = await openDrawer()
    const notes = drawer.findAll('.el-alert').map((n) => [n.classes().find((c) => c.startsWith('el-alert--')), n.text()])
    expect(notes).toEqual([
      ['el-alert--warning', '联网条件未满足：勘察拟装 3 个点位，已登记 2 个，缺 1 个'],
      ['el-alert--error', '勘察逾期完成：2022-10-03 完成，截止 2022-09-30，逾期 3 天'],
      ['el-alert--info', '2022年度法定节假日安排未录入，按周一至周五计算'],
    ])
    expect(drawer.get('.late').text()).toBe('安装联网：截止 2022-10-20，逾期 3 天')
  })
  it('says none of them for a file that meets the condition, was on time, in a year with a holiday table', async () => {
    file = installed({ network: { planned: 3, registered: 3, with_data: 3, shortfall: 0, complete: true, text: '' } })
    const drawer = await openDrawer()
    expect(drawer.findAll('.el-alert')).toHaveLength(0)
    expect(drawer.text()).toContain('拟装点位 喷漆房风机、活性炭风机、锅炉')
  })
})
