// 安装进度 helpers: the funnel's steps in campaign order (附件2), each with the deadline it is judged against, and
// how a deadline stands on a Beijing day (passed, within a week, ahead).
import type { Schemas } from '@/api/client'

export type Group = Schemas['GroupOut']
export type Deadlines = Schemas['DeadlinesOut']

export interface FunnelStep {
  key: string
  label: string
  /** The campaign deadline this step must be reached by (none for the steps in between). */
  deadline: keyof Deadlines | null
}

export const STEPS: FunnelStep[] = [
  { key: 'surveyed', label: '已勘察', deadline: 'survey' },
  { key: 'installed', label: '已安装', deadline: null },
  { key: 'networked', label: '已联网', deadline: 'network' },
  { key: 'trial_run', label: '试运行', deadline: null },
  { key: 'accepted', label: '已验收', deadline: null },
  { key: 'filed', label: '已备案', deadline: 'filing' },
]

export const STEP_NAMES: Record<string, string> = {
  survey: '勘察',
  network: '安装联网',
  filing: '验收备案',
  filing_limit: '验收后备案',
}

export interface FunnelRow {
  key: string
  label: string
  count: number
  /** Share of the enterprises that must install (exempt ones excluded), 0–100. */
  percent: number
  due: string | null
  state: 'done' | 'passed' | 'soon' | 'ahead' | 'none'
}

/** Days from `today` to `due` (both YYYY-MM-DD, Beijing calendar days); negative once passed. */
export function daysUntil(due: string, today: string): number {
  return Math.round((Date.parse(`${due}T00:00:00Z`) - Date.parse(`${today}T00:00:00Z`)) / 86_400_000)
}

export function deadlineState(due: string | null, today: string, complete: boolean): FunnelRow['state'] {
  if (!due) return 'none'
  if (complete) return 'done'
  const left = daysUntil(due, today)
  if (left < 0) return 'passed'
  return left <= 7 ? 'soon' : 'ahead'
}

/** The funnel of one town or branch; `deadlines` are the group's own (a town may have its own), else the county's. */
export function funnelRows(group: Group, deadlines: Deadlines, today: string): FunnelRow[] {
  const required = Math.max(group.required, 0)
  return STEPS.map((step) => {
    const count = group.reached[step.key as keyof Group['reached']] ?? 0
    const due = step.deadline ? deadlines[step.deadline] : null
    return {
      key: step.key,
      label: step.label,
      count,
      percent: required ? Math.round((count / required) * 100) : 0,
      due,
      state: deadlineState(due, today, required > 0 && count >= required),
    }
  })
}

/** `逾期 3 个工作日` / `逾期 12 天`: the filing limit counts working days, the campaign dates calendar days. */
export function overdueText(days: number, unit: string): string {
  return unit === '工作日' ? `逾期 ${days} 个工作日` : `逾期 ${days} 天`
}

export type CampaignFile = Schemas['FileOut']

export interface FileNote {
  kind: 'warning' | 'error' | 'info'
  text: string
}

/** What the drawer must say besides the steps: the 已联网 shortfall, steps done late, the calendar fallback. */
export function fileNotes(file: Pick<CampaignFile, 'network' | 'late_steps' | 'calendar_warning'>): FileNote[] {
  const notes: FileNote[] = []
  if (file.network && !file.network.complete && file.network.text) {
    notes.push({ kind: 'warning', text: `联网条件未满足：${file.network.text}` })
  }
  for (const s of file.late_steps) {
    notes.push({ kind: 'error', text: `${s.step_name}逾期完成：${s.done_on} 完成，截止 ${s.due}，逾期 ${s.days_late} 天` })
  }
  if (file.calendar_warning) notes.push({ kind: 'info', text: file.calendar_warning })
  return notes
}
