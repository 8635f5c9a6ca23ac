// Which points draw a line's curves: the control facility's points and each production facility's, in that order.
import type { Schemas } from '@/api/client'

export interface LinePoint {
  pointId: string
  side: 'production' | 'control'
  name: string
}

export function linePoints(line: Schemas['LineItem'], points: Schemas['PointItem'][]): LinePoint[] {
  const out: LinePoint[] = []
  const add = (facilityId: string, side: LinePoint['side'], facilityName: string): void => {
    for (const p of points.filter((pt) => pt.facility_id === facilityId)) {
      out.push({ pointId: p.point_id, side, name: `${facilityName}（${p.point_code}）` })
    }
  }
  if (line.control) add(line.control.facility_id, 'control', line.control.name)
  for (const f of line.production) add(f.facility_id, 'production', f.name)
  return out
}

/** The start of today in Beijing (00:00 +08:00) as an ISO string with its offset, for the series query. */
export function beijingDayStart(now: Date): string {
  const shifted = new Date(now.getTime() + 8 * 3600_000)
  const day = shifted.toISOString().slice(0, 10)
  return `${day}T00:00:00+08:00`
}

/** Now as ISO 8601 with +08:00 (the API wants an offset; Beijing time is what people read). */
export function beijingIso(now: Date): string {
  const shifted = new Date(now.getTime() + 8 * 3600_000)
  return `${shifted.toISOString().slice(0, 19)}+08:00`
}
