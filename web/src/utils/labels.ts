// Chinese names of the API's codes, in one place so every screen says the same thing.
import type { Schemas } from '@/api/client'

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

export function label(names: Record<string, string>, code: string | null | undefined): string {
  if (code === null || code === undefined) return '—'
  return names[code] ?? code
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
