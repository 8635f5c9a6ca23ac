// Small helpers of the 报表 screen: the Beijing month now, energy figures for people (无数据 never shown as 0).

/** `2026-12` for the Beijing month `at` falls in. */
export function currentMonth(at: Date): string {
  return new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 7)
}

/** `1,234.5 kWh`; null is 无数据 (a missing figure is not zero). */
export function kwh(value: number | null | undefined): string {
  if (value === null || value === undefined) return '无数据'
  return `${value.toLocaleString('zh-CN', { maximumFractionDigits: 1, minimumFractionDigits: 1 })} kWh`
}

/** A town or branch the caller may pick. */
export interface Unit {
  id: string
  name: string
}

/** The units of the 月度报告 for the caller: the county roles pick the county, a town or a branch; a branch or town
 * account gets its own unit only (the API's default for it), so it is offered nothing to pick. */
export function monthlyScopes(role: string, towns: Unit[], branches: Unit[]): { value: string; label: string }[] {
  if (!['admin', 'air', 'emergency', 'viewer'].includes(role)) return []
  return [
    { value: 'county', label: '全县（市）' },
    ...towns.map((t) => ({ value: `town:${t.id}`, label: `镇（街道）：${t.name}` })),
    ...branches.map((b) => ({ value: `branch:${b.id}`, label: `执法分局：${b.name}` })),
  ]
}
