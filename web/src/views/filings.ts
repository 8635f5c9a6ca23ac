// 申报与报备: names of the stoppage decisions, and which enterprises a town/branch/enterprise filter means.
export const DECISION_NAMES: Record<string, string> = {
  pending: '待审批',
  approved: '同意',
  rejected: '不同意',
  deemed_approved: '逾期未决定，视为同意',
}
export const DECISION_TAGS: Record<string, 'warning' | 'success' | 'danger' | 'info'> = {
  pending: 'warning',
  approved: 'success',
  rejected: 'danger',
  deemed_approved: 'info',
}

export interface EnterpriseRef {
  id: string
  name: string
  town_id: string
  town_name: string
  branch_id: string
  branch_name: string
}

/** The API's `enterprise_id` filter (at most 200) for the chosen enterprise, town and branch: null = no filter
 * (the caller's whole scope), [] = nothing can match (the list is empty without asking). */
export function enterpriseFilter(
  enterprises: readonly EnterpriseRef[],
  f: { enterprise_id: string; town_id: string; branch_id: string },
): string[] | null {
  if (!f.enterprise_id && !f.town_id && !f.branch_id) return null
  const ids = enterprises
    .filter((e) => (!f.enterprise_id || e.id === f.enterprise_id) && (!f.town_id || e.town_id === f.town_id) && (!f.branch_id || e.branch_id === f.branch_id))
    .map((e) => e.id)
  if (ids.length > 200) throw new Error('所选范围超过 200 家企业，请再选择镇（街道）或企业')
  return ids
}

/** Distinct (id, name) pairs (the first name of an id), sorted by name: the town and branch choices of the caller's scope. */
export function areas(pairs: readonly (readonly [string, string])[]): { id: string; name: string }[] {
  const seen = new Map<string, string>()
  for (const [id, name] of pairs) if (id && !seen.has(id)) seen.set(id, name)
  return [...seen.entries()].map(([id, name]) => ({ id, name })).sort((a, b) => a.name.localeCompare(b.name, 'zh-CN'))
}
