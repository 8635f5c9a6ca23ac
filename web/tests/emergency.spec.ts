import { describe, expect, it } from 'vitest'
import { fromPicker, toPicker } from '@/utils/beijingInput'
import { dispositionName } from '@/utils/download'
import { formatHours, measuresText, parseHours } from '@/views/emergency'
import { currentMonth, kwh } from '@/views/reports'

describe('the report file name', () => {
  it('prefers the UTF-8 name (Chinese) over the ASCII one', () => {
    const header = `attachment; filename="compliance-a1.xlsx"; filename*=UTF-8''${encodeURIComponent('应急管控执行情况-a1.xlsx')}`
    expect(dispositionName(header, 'x.xlsx')).toBe('应急管控执行情况-a1.xlsx')
  })
  it('falls back to the plain name, then to the given one; no path separators', () => {
    expect(dispositionName('attachment; filename="a/b.xlsx"', 'x.xlsx')).toBe('a_b.xlsx')
    expect(dispositionName("attachment; filename*=UTF-8''%E0%A4%A", 'x.xlsx')).toBe('x.xlsx')
    expect(dispositionName(null, 'x.xlsx')).toBe('x.xlsx')
  })
})

describe('Beijing pickers', () => {
  it('shows Beijing wall time and sends it with +08:00', () => {
    expect(toPicker(new Date('2026-12-06T16:30:45Z'))).toBe('2026-12-07T00:30:00')
    expect(fromPicker('2026-12-07T00:30:00')).toBe('2026-12-07T00:30:00+08:00')
    expect(fromPicker('')).toBe('')
  })
})

describe('measures in words', () => {
  it('names every kind of measure of the level', () => {
    expect(measuresText({ stop_points: ['p1', 'p2'], energy_share: 0.7, forbidden_hours: [[8, 12]] })).toBe(
      '停产点位 2 个（p1、p2）；生产用电不超过基线的 70%；错峰停产 08:00–12:00',
    )
  })
  it('says when a level has none', () => {
    expect(measuresText(null)).toBe('本级别未制定措施')
    expect(measuresText({ stop_points: [], energy_share: null, forbidden_hours: [] })).toBe('本级别未制定措施')
  })
})

describe('report helpers', () => {
  it('takes the month in Beijing, also on the last evening of a UTC month', () => {
    expect(currentMonth(new Date('2026-11-30T17:00:00Z'))).toBe('2026-12')
    expect(currentMonth(new Date('2026-11-30T15:59:00Z'))).toBe('2026-11')
  })
  it('never shows a missing figure as zero', () => {
    expect(kwh(null)).toBe('无数据')
    expect(kwh(0)).toBe('0.0 kWh')
    expect(kwh(1234.56)).toBe('1,234.6 kWh')
  })
})

describe('forbidden hours typed by people', () => {
  it('reads the usual ways of writing spans', () => {
    expect(parseHours('08-12, 14-16')).toEqual([
      [8, 12],
      [14, 16],
    ])
    expect(parseHours('8:00-12:00，20至24')).toEqual([
      [8, 12],
      [20, 24],
    ])
    expect(parseHours('')).toEqual([])
    expect(formatHours([[8, 12]])).toBe('08-12')
  })
  it('refuses backwards, out-of-day and garbled spans in Chinese', () => {
    expect(parseHours('12-08')).toContain('起点早于终点')
    expect(parseHours('20-25')).toContain('0 到 24')
    expect(parseHours('morning')).toContain('格式不对')
  })
})
