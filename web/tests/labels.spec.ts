import { describe, expect, it } from 'vitest'
import { RULE_NAMES, areaName, label } from '@/utils/labels'

describe('labels', () => {
  it('names a known code and never shows an unknown one raw', () => {
    expect(label(RULE_NAMES, 'control_stopped')).toBe(RULE_NAMES.control_stopped)
    expect(label(RULE_NAMES, 'rule_from_a_newer_platform')).toBe('其他')
    expect(label(RULE_NAMES, null)).toBe('—')
  })
  it('names a branch by its name, and one outside the list as 其他分局', () => {
    const names = new Map([['b1', '执法一局']])
    expect(areaName(names, 'b1', '其他分局')).toBe('执法一局')
    expect(areaName(names, 'b9', '其他分局')).toBe('其他分局')
    expect(areaName(names, null, '其他分局')).toBe('—')
  })
})
