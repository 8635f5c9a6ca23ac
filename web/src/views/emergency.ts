// Emergency levels and one level's measures in words (the 一厂一策 row shown under an enterprise's compliance).
export const LEVEL_NAMES: Record<'yellow' | 'orange' | 'red', string> = { yellow: '黄色', orange: '橙色', red: '红色' }
export const LEVEL_TAG: Record<'yellow' | 'orange' | 'red', 'warning' | 'danger' | 'primary'> = {
  yellow: 'warning',
  orange: 'primary',
  red: 'danger',
}

export interface LevelMeasures {
  stop_points?: string[]
  energy_share?: number | null
  forbidden_hours?: [number, number][]
}

export function measuresText(m: LevelMeasures | null): string {
  if (!m) return '本级别未制定措施'
  const parts: string[] = []
  if (m.stop_points?.length) parts.push(`停产点位 ${m.stop_points.length} 个（${m.stop_points.join('、')}）`)
  if (m.energy_share !== null && m.energy_share !== undefined) {
    parts.push(`生产用电不超过基线的 ${Math.round(m.energy_share * 100)}%`)
  }
  if (m.forbidden_hours?.length) {
    parts.push(`错峰停产 ${m.forbidden_hours.map(([a, b]) => `${String(a).padStart(2, '0')}:00–${String(b).padStart(2, '0')}:00`).join('、')}`)
  }
  return parts.length ? parts.join('；') : '本级别未制定措施'
}

export type AlertPhase = 'upcoming' | 'active' | 'ended'
export const PHASE_NAMES: Record<AlertPhase, string> = { upcoming: '未开始', active: '生效中', ended: '已结束' }

/** `08-12, 14-16` (or `8:00-12:00`) → [[8, 12], [14, 16]]; a Chinese message for anything else. */
export function parseHours(text: string): [number, number][] | string {
  const spans: [number, number][] = []
  for (const part of text.split(/[,，;；、\s]+/).filter(Boolean)) {
    const m = /^(\d{1,2})(?::00)?[-–~至](\d{1,2})(?::00)?$/.exec(part)
    if (!m) return `错峰时段“${part}”格式不对，应如 08-12`
    const a = Number(m[1])
    const b = Number(m[2])
    if (!(a >= 0 && a < b && b <= 24)) return `错峰时段“${part}”须在 0 到 24 时之间，且起点早于终点`
    spans.push([a, b])
  }
  return spans
}

export function formatHours(spans: [number, number][] | undefined): string {
  return (spans ?? []).map(([a, b]) => `${String(a).padStart(2, '0')}-${String(b).padStart(2, '0')}`).join(', ')
}
