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
