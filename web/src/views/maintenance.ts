// 运维 (二.4) in words: state tags, the abnormal checklist items of an inspection, a reading seen on site against
// the platform's, and the time left before an inspection or repair limit.
export type Tag = 'danger' | 'warning' | 'success' | 'info' | 'primary'

export const INSPECTION_TAG: Record<string, Tag> = { overdue: 'danger', due_soon: 'warning', ok: 'success', not_started: 'info' }
export const REPAIR_TAG: Record<string, Tag> = {
  overdue: 'danger',
  open: 'warning',
  done: 'success',
  done_late: 'primary',
  recovered: 'info',
}
export const KIND_NAMES: Record<string, string> = { inspection: '巡检', repair: '维修', commissioning: '调试', other: '其他' }

/** The titles of the items an inspection marked 异常, in checklist order; unknown keys by their key. */
export function abnormalItems(marks: Record<string, boolean>, titles: { key: string; title: string }[]): string[] {
  const known = titles.filter((t) => marks[t.key] === false).map((t) => t.title)
  const unknown = Object.keys(marks).filter((k) => marks[k] === false && !titles.some((t) => t.key === k))
  return [...known, ...unknown]
}

/** `现场 34.5 / 平台 35（差 1.4%）`; `平台无数据` when the platform had none; never a missing value as zero. */
export function readingText(r: { seen: number; platform: number | null }): string {
  if (r.platform === null) return `现场 ${r.seen} / 平台无数据`
  const base = Math.abs(r.platform)
  const gap = base > 0 ? `差 ${((Math.abs(r.seen - r.platform) / base) * 100).toFixed(1)}%` : r.seen === 0 ? '一致' : '平台为 0'
  return `现场 ${r.seen} / 平台 ${r.platform}（${gap}）`
}

/** True while a repair still counts down (not yet repaired nor recovered). */
export function repairOpen(state: string): boolean {
  return state === 'open' || state === 'overdue'
}
