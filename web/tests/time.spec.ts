import { describe, expect, it } from 'vitest'
import { beijing, beijingClock, duration } from '@/utils/time'

describe('beijing time', () => {
  it('shows an instant as Beijing wall time whatever its offset', () => {
    expect(beijing('2026-12-01T00:05:00Z')).toBe('2026-12-01 08:05')
    expect(beijing('2026-12-01T08:05:59+08:00')).toBe('2026-12-01 08:05')
    expect(beijing('2026-11-30T23:30:00-01:00')).toBe('2026-12-01 08:30')
    expect(beijingClock('2026-12-01T15:59:00Z')).toBe('23:59')
  })
  it('crosses midnight into the next Beijing day', () => {
    expect(beijing('2026-12-31T16:00:00Z')).toBe('2027-01-01 00:00')
  })
  it('says — for nothing or nonsense', () => {
    expect(beijing(null)).toBe('—')
    expect(beijing('not a time')).toBe('—')
  })
  it('reads spans in Chinese', () => {
    expect(duration(3900)).toBe('1小时05分')
    expect(duration(-720)).toBe('12分')
    expect(duration(2 * 86400 + 3 * 3600)).toBe('2天3小时')
    expect(duration(42)).toBe('42秒')
  })
})
