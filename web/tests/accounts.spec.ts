import { describe, expect, it } from 'vitest'
import { scopeFields, scopeText } from '@/views/accountScope'

const towns = [{ id: 't1', name: '城南街道' }]
const branches = [{ id: 'b1', name: '第一分局' }]
const names = new Map([
  ['e1', '甲厂'],
  ['e2', '乙厂'],
  ['e3', '丙厂'],
])

describe('account scope', () => {
  it('asks each role only for the scope it is limited by', () => {
    expect(scopeFields('branch')).toEqual({ branch: true, town: false, enterprises: false, terminals: false })
    expect(scopeFields('town')).toEqual({ branch: false, town: true, enterprises: false, terminals: false })
    expect(scopeFields('installer')).toEqual({ branch: false, town: false, enterprises: true, terminals: true })
    expect(scopeFields('enterprise').terminals).toBe(false)
    expect(scopeFields('air')).toEqual({ branch: false, town: false, enterprises: false, terminals: false })
  })
  it('says the scope in words', () => {
    const base = { branch_id: null, town_id: null, enterprise_ids: [] as string[] }
    expect(scopeText({ ...base, role: 'branch', branch_id: 'b1' }, towns, branches, names)).toBe('第一分局')
    expect(scopeText({ ...base, role: 'town', town_id: 't1' }, towns, branches, names)).toBe('城南街道')
    expect(scopeText({ ...base, role: 'enterprise', enterprise_ids: ['e1'] }, towns, branches, names)).toBe('甲厂')
    expect(scopeText({ ...base, role: 'installer', enterprise_ids: ['e1', 'e2', 'e3'] }, towns, branches, names)).toBe(
      '甲厂、乙厂 等 3 家',
    )
    expect(scopeText({ ...base, role: 'enterprise' }, towns, branches, names)).toBe('未指定企业')
    expect(scopeText({ ...base, role: 'installer', enterprise_ids: ['e1'], terminal_mns: ['MN1', 'MN2'] }, towns, branches, names)).toBe(
      '甲厂，终端 2 台',
    )
    expect(scopeText({ ...base, role: 'viewer' }, towns, branches, names)).toBe('全县')
  })
})
