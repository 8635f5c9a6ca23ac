// Chinese names of the API's codes, in one place so every screen says the same thing. Rule, state and cause names
// come from the platform's own catalogues (src/api/labels.json, generated at build by scripts/dump_labels.py).
import type { Schemas } from '@/api/client'
import generated from '@/api/labels.json'

export const ROLE_NAMES: Record<Schemas['Role'], string> = {
  admin: '系统管理员',
  air: '大气科',
  emergency: '应急管控',
  branch: '执法分局',
  town: '镇（区）',
  enterprise: '企业',
  installer: '安装运维',
  viewer: '只读',
}

export const RULE_NAMES: Record<string, string> = generated.rules
export const ALARM_STATE_NAMES: Record<string, string> = generated.alarm_states
export const CAUSE_NAMES: Record<string, string> = generated.causes
export const SEVERITY_NAMES: Record<string, string> = { high: '高', medium: '中', low: '低' }
export const STATUS_NAMES: Record<string, string> = {
  producing: '生产',
  stopped: '停产',
  curtailed: '限产',
  unknown: '无数据',
}
/** Map and badge colours of an enterprise's state now (readable in print: distinct in lightness too). */
export const STATUS_COLORS: Record<string, string> = {
  producing: '#2e7d32',
  stopped: '#9e9e9e',
  curtailed: '#f0a020',
  unknown: '#5c6bc0',
}

/** A code's Chinese name; one this build does not know (a newer platform's) reads 其他, never the raw code. */
export function label(names: Record<string, string>, code: string | null | undefined): string {
  if (code === null || code === undefined || code === '') return '—'
  return names[code] ?? '其他'
}

/** A branch or town by name: the id is for machines; one outside the caller's list reads 其他分局 / 其他镇（区）. */
export function areaName(names: ReadonlyMap<string, string>, id: string | null | undefined, other: string): string {
  if (!id) return '—'
  return names.get(id) ?? other
}

// 企业档案 / 用户管理 (web-b): filters need the names before any row arrives.
export const ENTERPRISE_STATUS_NAMES: Record<string, string> = {
  producing: '生产',
  stopped: '停产',
  curtailed: '限产',
  unknown: '无数据',
}
export const INSTALL_STATUS_NAMES: Record<string, string> = {
  pending_survey: '待勘察',
  surveyed: '已勘察',
  installed: '已安装',
  networked: '已联网',
  trial_run: '试运行',
  accepted: '已验收',
  filed: '已备案',
}
export const CONTACT_ROLE_NAMES: Record<string, string> = {
  legal_representative: '法定代表人',
  environment_manager: '环保负责人',
  electrician: '电工',
  operator: '运维人员',
  other: '其他',
}
export const CATEGORY_NAMES: Record<string, string> = { air_control: '大气管控企业', permit: '排污许可证企业' }
export const EXEMPTION_NAMES: Record<string, string> = {
  long_term_shutdown: '长期停产',
  to_be_closed: '拟关闭',
  unsafe: '安全条件不允许',
}
