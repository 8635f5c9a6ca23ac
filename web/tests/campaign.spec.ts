import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import CampaignFunnel from '@/components/campaign/CampaignFunnel.vue'
import { daysUntil, deadlineState, fileNotes, funnelRows, overdueText, type Deadlines, type Group } from '@/views/campaign'

const deadlines: Deadlines = { survey: '2022-09-30', network: '2022-10-20', filing: '2022-10-31' }

function group(reached: Partial<Group['reached']>, over: Partial<Group['overdue']> = {}): Group {
  const zero = { pending_survey: 0, surveyed: 0, installed: 0, networked: 0, trial_run: 0, accepted: 0, filed: 0 }
  return {
    key: 't1',
    name: '城北街道',
    total: 5,
    exempt: 1,
    required: 4,
    reached: { ...zero, pending_survey: 4, ...reached },
    overdue: { survey: 0, network: 0, filing: 0, filing_limit: 0, ...over },
    late_done: { survey: 0, network: 0, filing: 0 },
    deadlines,
  } as Group
}

describe('campaign deadlines', () => {
  it('counts calendar days between Beijing dates', () => {
    expect(daysUntil('2022-10-20', '2022-10-13')).toBe(7)
    expect(daysUntil('2022-09-30', '2022-10-01')).toBe(-1)
  })
  it('is passed only after the deadline day, soon within a week, done when everyone reached it', () => {
    expect(deadlineState('2022-09-30', '2022-09-30', false)).toBe('soon')
    expect(deadlineState('2022-09-30', '2022-10-01', false)).toBe('passed')
    expect(deadlineState('2022-10-31', '2022-10-01', false)).toBe('ahead')
    expect(deadlineState('2022-09-30', '2022-10-01', true)).toBe('done')
    expect(deadlineState(null, '2022-10-01', false)).toBe('none')
  })
  it('says working days for the filing limit and days for campaign dates', () => {
    expect(overdueText(3, '工作日')).toBe('逾期 3 个工作日')
    expect(overdueText(12, '日历日')).toBe('逾期 12 天')
  })
})

describe('the funnel', () => {
  it('shares are of the enterprises that must install (exempt ones excluded)', () => {
    const rows = funnelRows(group({ surveyed: 4, installed: 3, networked: 2, trial_run: 1 }), deadlines, '2022-10-21')
    expect(rows.map((r) => [r.label, r.count, r.percent, r.state])).toEqual([
      ['已勘察', 4, 100, 'done'],
      ['已安装', 3, 75, 'none'],
      ['已联网', 2, 50, 'passed'],
      ['试运行', 1, 25, 'none'],
      ['已验收', 0, 0, 'none'],
      ['已备案', 0, 0, 'ahead'],
    ])
  })
  it('renders each step with its count, deadline and the overdue total', () => {
    const w = mount(CampaignFunnel, {
      props: { group: group({ surveyed: 2, installed: 1 }, { survey: 2, network: 1 }), deadlines, today: '2022-10-03' },
    })
    expect(w.find('header').text()).toContain('城北街道')
    expect(w.find('header').text()).toContain('须安装 4 家（豁免 1）')
    expect(w.get('[data-test=overdue]').text()).toBe('逾期 3 项')
    const survey = w.get('[data-step=surveyed]')
    expect(survey.attributes('data-state')).toBe('passed')
    expect(survey.text()).toContain('2/4')
    expect(survey.text()).toContain('已过期限 09-30')
    expect(w.get('[data-step=networked]').attributes('data-state')).toBe('ahead')
    expect(w.get('[data-step=installed] .fill').attributes('style')).toContain('width: 25%')
  })
  it('shows no overdue badge when nothing is late', () => {
    const w = mount(CampaignFunnel, { props: { group: group({}), deadlines, today: '2022-09-01' } })
    expect(w.find('[data-test=overdue]').exists()).toBe(false)
  })
})

describe('the file drawer notes', () => {
  it('says the 已联网 shortfall, each step done late and the calendar fallback', () => {
    const notes = fileNotes({
      network: { planned: 3, registered: 2, with_data: 2, shortfall: 1, complete: false, text: '勘察拟装 3 个点位，已登记 2 个，缺 1 个' },
      late_steps: [{ step: 'survey', step_name: '勘察', due: '2022-09-30', done_on: '2022-10-03', days_late: 3 }],
      calendar_warning: '2027年度法定节假日安排未录入，按周一至周五计算',
    })
    expect(notes).toEqual([
      { kind: 'warning', text: '联网条件未满足：勘察拟装 3 个点位，已登记 2 个，缺 1 个' },
      { kind: 'error', text: '勘察逾期完成：2022-10-03 完成，截止 2022-09-30，逾期 3 天' },
      { kind: 'info', text: '2027年度法定节假日安排未录入，按周一至周五计算' },
    ])
  })
  it('says nothing for a complete, timely file in a known year', () => {
    const network = { planned: 2, registered: 2, with_data: 2, shortfall: 0, complete: true, text: '' }
    expect(fileNotes({ network, late_steps: [], calendar_warning: null })).toEqual([])
  })
})
