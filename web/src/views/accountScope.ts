// Which scope fields a role's account uses, and an account's scope in words (the accounts table).
import type { Schemas } from '@/api/client'

export interface Area {
  id: string
  name: string
}
export interface ScopeFields {
  branch: boolean
  town: boolean
  enterprises: boolean
  terminals: boolean
}

/** The scope a role is limited by (monitoring/accounts/scope.py): a branch, a town, or a list of enterprises. */
export function scopeFields(role: Schemas['Role']): ScopeFields {
  return {
    branch: role === 'branch',
    town: role === 'town',
    enterprises: role === 'enterprise' || role === 'installer',
    terminals: role === 'installer', // an installer also sees the enterprises its terminals are bound to
  }
}

export function scopeText(
  a: Pick<Schemas['AccountOut'], 'role' | 'branch_id' | 'town_id' | 'enterprise_ids'> & { terminal_mns?: string[] },
  towns: Area[],
  branches: Area[],
  enterpriseNames: Map<string, string>,
): string {
  const fields = scopeFields(a.role)
  if (fields.branch) return a.branch_id ? (branches.find((b) => b.id === a.branch_id)?.name ?? a.branch_id) : '未指定分局'
  if (fields.town) return a.town_id ? (towns.find((t) => t.id === a.town_id)?.name ?? a.town_id) : '未指定镇（区）'
  if (fields.enterprises) {
    const terminals = fields.terminals && a.terminal_mns?.length ? `，终端 ${a.terminal_mns.length} 台` : ''
    if (a.enterprise_ids.length === 0) return terminals ? `未指定企业${terminals}` : '未指定企业'
    const names = a.enterprise_ids.map((id) => enterpriseNames.get(id) ?? id)
    const text = names.length > 2 ? `${names.slice(0, 2).join('、')} 等 ${names.length} 家` : names.join('、')
    return text + terminals
  }
  return '全县'
}
