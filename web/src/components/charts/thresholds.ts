// The thresholds an alarm's evidence names that are power levels to draw on its chart: only those a rule judged by
// (monitoring/rules: running_state's p_on_kw / p_off_kw, tamper_negative_power's limit_kw), never parameters that
// merely end in _kw (negative_kw is a magnitude, on_min_kw a floor inside p_on_kw).
import type { Threshold } from './PowerChart.vue'

export const DRAWN_THRESHOLDS: Record<string, string> = { p_on_kw: '运行判定', p_off_kw: '停止判定', limit_kw: '负功率限值' }

export function evidenceThresholds(episodes: { thresholds: Record<string, unknown> }[]): Threshold[] {
  const seen = new Map<string, Threshold>()
  for (const e of episodes) {
    for (const [key, name] of Object.entries(DRAWN_THRESHOLDS)) {
      const value = e.thresholds[key]
      if (typeof value === 'number' && Number.isFinite(value) && !seen.has(key)) seen.set(key, { name, kw: value })
    }
  }
  return [...seen.values()]
}

/** The y-axis floor: 0 for ordinary power, below it when a reading or a threshold is negative (reverse feed). */
export function axisFloor(values: (number | null)[], thresholds: Threshold[]): number {
  let low = 0
  for (const v of values) if (v !== null && v < low) low = v
  for (const t of thresholds) if (t.kw < low) low = t.kw
  return low < 0 ? Math.floor(low * 1.1) : 0
}
