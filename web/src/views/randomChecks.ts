// 双随机抽查 helpers: status tags and counts in words, findings in words, the current period in Beijing.
import type { Schemas } from '@/api/client'

type Finding = Schemas['FindingOut']

export const STATUS_TAG: Record<string, 'info' | 'success' | 'danger' | 'warning'> = {
  pending: 'warning',
  done: 'success',
  overdue: 'danger',
  void: 'info',
}

const STATUS_NAMES: [string, string][] = [
  ['pending', '待检查'],
  ['done', '已检查'],
  ['overdue', '逾期'],
  ['void', '已作废'],
]

/** "待检查 2 · 已检查 1 · 逾期 1" — states with no check are left out; nothing at all says so. */
export function countsText(counts: Record<string, number>): string {
  const parts = STATUS_NAMES.filter(([key]) => (counts[key] ?? 0) > 0).map(([key, name]) => `${name} ${counts[key]}`)
  return parts.length ? parts.join(' · ') : '无任务'
}

/** Each finding as 项目：正常|问题（意见）, problems first. */
export function findingsText(findings: Finding[]): string[] {
  return [...findings]
    .sort((a, b) => Number(a.ok) - Number(b.ok))
    .map((f) => `${f.item_name}：${f.ok ? '正常' : '问题'}${f.note ? `（${f.note}）` : ''}`)
}

/** The month as the bureau counts it (Beijing calendar), e.g. 2026-12. */
export function currentPeriod(now: Date): string {
  const beijing = new Date(now.getTime() + 8 * 3600 * 1000)
  return `${beijing.getUTCFullYear()}-${String(beijing.getUTCMonth() + 1).padStart(2, '0')}`
}

/** A month (2026-12) or a quarter (2026-Q4), as the API accepts. */
export function validPeriod(text: string): boolean {
  return /^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$/.test(text.trim())
}
