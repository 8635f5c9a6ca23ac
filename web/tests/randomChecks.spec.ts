import { describe, expect, it } from 'vitest'
import { countsText, currentPeriod, findingsText, STATUS_TAG, validPeriod } from '@/views/randomChecks'

describe('random checks in words', () => {
  it('counts only the states that have checks', () => {
    expect(countsText({ pending: 2, done: 1, overdue: 0, void: 0 })).toBe('待检查 2 · 已检查 1')
    expect(countsText({ pending: 0, done: 0, overdue: 3, void: 0 })).toBe('逾期 3')
    expect(countsText({})).toBe('无任务')
  })
  it('puts the problems first, with their notes', () => {
    const f = (item_name: string, ok: boolean, note = '') => ({ item: 'other' as const, item_name, ok, note })
    expect(findingsText([f('运行状况', true), f('相关性', false, '治理设施停运')])).toEqual([
      '相关性：问题（治理设施停运）',
      '运行状况：正常',
    ])
  })
  it('takes the month in Beijing and accepts months and quarters only', () => {
    expect(currentPeriod(new Date('2026-11-30T16:30:00Z'))).toBe('2026-12')
    expect(currentPeriod(new Date('2026-11-30T15:59:00Z'))).toBe('2026-11')
    expect(validPeriod('2026-Q4') && validPeriod(' 2026-01 ')).toBe(true)
    expect(validPeriod('2026-13') || validPeriod('2026-Q5') || validPeriod('26-01')).toBe(false)
    expect(STATUS_TAG.overdue).toBe('danger')
  })
})
