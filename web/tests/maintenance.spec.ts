import { describe, expect, it } from 'vitest'
import { menuScreens } from '@/router/screens'
import { INSPECTION_TAG, REPAIR_TAG, abnormalItems, readingText, repairOpen } from '@/views/maintenance'

const TITLES = [
  { key: 'appearance', title: '外观' },
  { key: 'wiring', title: '接线' },
  { key: 'seal', title: '封签' },
]

describe('an inspection in words', () => {
  it('names the abnormal items in checklist order, unknown keys last', () => {
    expect(abnormalItems({ seal: false, appearance: false, wiring: true }, TITLES)).toEqual(['外观', '封签'])
    expect(abnormalItems({ appearance: true, paint: false }, TITLES)).toEqual(['paint'])
    expect(abnormalItems({}, TITLES)).toEqual([])
  })
  it('sets the reading seen on site against the platform, never a missing value as zero', () => {
    expect(readingText({ seen: 34.5, platform: 35 })).toBe('现场 34.5 / 平台 35（差 1.4%）')
    expect(readingText({ seen: 3, platform: null })).toBe('现场 3 / 平台无数据')
    expect(readingText({ seen: 0, platform: 0 })).toBe('现场 0 / 平台 0（一致）')
    expect(readingText({ seen: 2, platform: 0 })).toBe('现场 2 / 平台 0（平台为 0）')
  })
})

describe('states', () => {
  it('counts down only while a repair is owed', () => {
    expect(['open', 'overdue'].map(repairOpen)).toEqual([true, true])
    expect(['done', 'done_late', 'recovered'].map(repairOpen)).toEqual([false, false, false])
  })
  it('colours overdue red and due soon amber', () => {
    expect([INSPECTION_TAG.overdue, INSPECTION_TAG.due_soon, INSPECTION_TAG.ok]).toEqual(['danger', 'warning', 'success'])
    expect([REPAIR_TAG.overdue, REPAIR_TAG.open, REPAIR_TAG.done]).toEqual(['danger', 'warning', 'success'])
  })
})

describe('the 运维 screen in the menu', () => {
  it('shows for roles that may read maintenance, after 应急管控 and before 报表', () => {
    const titles = menuScreens(() => true).map((s) => s.meta?.title)
    expect(titles.indexOf('运维')).toBe(titles.indexOf('应急管控') + 1)
    expect(titles.indexOf('报表')).toBe(titles.indexOf('运维') + 1)
    expect(menuScreens((a) => a !== 'maintenance.read').map((s) => s.meta?.title)).not.toContain('运维')
  })
})
