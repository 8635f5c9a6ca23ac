import { describe, expect, it } from 'vitest'
import { beijingDayStart, beijingIso, linePoints } from '@/components/enterprise/lineSeries'
import { timelineSlices } from '@/components/enterprise/timeline'
import type { Schemas } from '@/api/client'

const DAY = '2026-12-06T00:00:00+08:00'

describe('status timeline slices', () => {
  it('fills the gaps before and between segments as 无数据 and keeps each slice in time order', () => {
    const slices = timelineSlices(
      [
        {
          name: '企业',
          segments: [
            { start: '2026-12-06T02:00:00+08:00', end: '2026-12-06T03:00:00+08:00', state: 'stopped', state_name: '停产' },
            { start: '2026-12-06T00:30:00+08:00', end: '2026-12-06T02:00:00+08:00', state: 'producing', state_name: '生产' },
          ],
        },
        { name: '线1·产污', segments: [] },
      ],
      DAY,
    )
    // column k holds the k-th slice of every row; the empty row has none
    expect(slices.map((col) => col[0] && [col[0].state, col[0].value])).toEqual([
      ['no_data', 30],
      ['producing', 90],
      ['stopped', 60],
    ])
    expect(slices.every((col) => col[1] === undefined)).toBe(true)
  })
  it('clips a segment that starts before the day or overlaps the previous one', () => {
    const [first, second] = timelineSlices(
      [
        {
          name: 'x',
          segments: [
            { start: '2026-12-05T23:00:00+08:00', end: '2026-12-06T01:00:00+08:00', state: 'producing', state_name: '生产' },
            { start: '2026-12-06T00:30:00+08:00', end: '2026-12-06T01:30:00+08:00', state: 'stopped', state_name: '停产' },
          ],
        },
      ],
      DAY,
    )
    expect(first?.[0]?.value).toBe(60)
    expect(second?.[0]).toMatchObject({ state: 'stopped', value: 30 })
  })
})

describe('line curves', () => {
  const ref = (id: string, name: string) => ({ facility_id: id, code: id, name })
  const point = (id: string, facility: string) =>
    ({ point_id: id, facility_id: facility, point_code: `${id}c` }) as Schemas['PointItem']
  it('draws the control side first, then each production facility, with every point of each', () => {
    const line = { control: ref('f-c', '除尘器'), production: [ref('f-p1', '球磨机'), ref('f-p2', '烘干机')] } as Schemas['LineItem']
    const got = linePoints(line, [point('p3', 'f-p2'), point('p1', 'f-p1'), point('p2', 'f-c'), point('p9', 'other')])
    expect(got).toEqual([
      { pointId: 'p2', side: 'control', name: '除尘器（p2c）' },
      { pointId: 'p1', side: 'production', name: '球磨机（p1c）' },
      { pointId: 'p3', side: 'production', name: '烘干机（p3c）' },
    ])
  })
  it('asks for today from Beijing midnight, also when UTC is still yesterday', () => {
    const at = new Date('2026-12-05T17:30:00Z') // 01:30 on the 6th in Beijing
    expect(beijingDayStart(at)).toBe('2026-12-06T00:00:00+08:00')
    expect(beijingIso(at)).toBe('2026-12-06T01:30:00+08:00')
  })
})
