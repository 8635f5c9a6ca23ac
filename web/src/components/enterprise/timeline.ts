// A day's status segments as stacked horizontal bars: one bar row per subject (the enterprise, each line's production
// and control side), one stacked series per segment position, so each slice keeps its own state and colour.

export interface Segment {
  start: string
  end: string
  state: string
  state_name: string
}
export interface TimelineRow {
  name: string
  segments: Segment[]
}
export interface Slice {
  value: number // minutes
  state: string
  stateName: string
  start: string
  end: string
}

/** Colours distinct in lightness too, so a printed page still tells them apart. */
export const STATE_COLORS: Record<string, string> = {
  producing: '#2e7d32',
  running: '#2e7d32',
  curtailed: '#f0a020',
  stopped: '#9e9e9e',
  no_data: '#e4e7ed',
}

/**
 * The slices of each row in time order, gaps between segments (and before the first) filled as 无数据 so every
 * bar starts at the day's start. `slices[k][r]` is the k-th slice of row r (undefined when row r has fewer).
 */
export function timelineSlices(rows: TimelineRow[], dayStart: string): (Slice | undefined)[][] {
  const origin = new Date(dayStart).getTime()
  const perRow = rows.map((row) => {
    const out: Slice[] = []
    let at = origin
    const sorted = [...row.segments].sort((a, b) => new Date(a.start).getTime() - new Date(b.start).getTime())
    for (const seg of sorted) {
      const start = Math.max(new Date(seg.start).getTime(), at)
      const end = new Date(seg.end).getTime()
      if (start > at) out.push(slice(at, start, 'no_data', '无数据'))
      if (end > start) out.push(slice(start, end, seg.state, seg.state_name))
      at = Math.max(at, end)
    }
    return out
  })
  const depth = Math.max(0, ...perRow.map((r) => r.length))
  return Array.from({ length: depth }, (_, k) => perRow.map((r) => r[k]))
}

function slice(from: number, to: number, state: string, stateName: string): Slice {
  return {
    value: (to - from) / 60000,
    state,
    stateName,
    start: new Date(from).toISOString(),
    end: new Date(to).toISOString(),
  }
}
