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
