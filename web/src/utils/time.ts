// Beijing time for people: `YYYY-MM-DD HH:mm` whatever the browser's own time zone is.
const PARTS = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
})

function parts(value: string | number | Date): Record<string, string> {
  const date = value instanceof Date ? value : new Date(value)
  const out: Record<string, string> = {}
  for (const p of PARTS.formatToParts(date)) out[p.type] = p.value
  return out
}

/** `2026-12-01 08:05` (Beijing); '—' for a missing or unreadable time. */
export function beijing(value: string | number | Date | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—'
  const date = value instanceof Date ? value : new Date(value)
  if (Number.isNaN(date.getTime())) return '—'
  const p = parts(date)
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`
}

/** `08:05` (Beijing) for chart axes. */
export function beijingClock(value: string | number | Date): string {
  const p = parts(value)
  return `${p.hour}:${p.minute}`
}

/** A span of seconds in words: `1小时05分`, `12分`, `2天3小时`; negative spans read the same (the caller says 超时). */
export function duration(seconds: number): string {
  const s = Math.abs(Math.trunc(seconds))
  const days = Math.floor(s / 86400)
  const hours = Math.floor((s % 86400) / 3600)
  const minutes = Math.floor((s % 3600) / 60)
  if (days > 0) return `${days}天${hours}小时`
  if (hours > 0) return `${hours}小时${String(minutes).padStart(2, '0')}分`
  if (minutes > 0) return `${minutes}分`
  return `${s % 60}秒`
}
