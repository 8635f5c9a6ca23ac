// Answers shaped like the API's (field names and enums as in its OpenAPI document; the contract test checks the
// document, these keep the pages honest about the shapes they read).
export const NOW = Date.parse('2026-12-06T10:00:00+08:00');

export function account(role: string, extra: Record<string, unknown> = {}) {
  return {
    id: `acc-${role}`,
    username: `demo_${role}`,
    display_name: `演示${role}`,
    role,
    role_name: { enterprise: '企业', installer: '安装人员', branch: '执法分局', admin: '管理员' }[role] ?? role,
    phone: '13800000000',
    county_id: 'rugao',
    branch_id: role === 'branch' ? 'br-1' : null,
    town_id: null,
    enterprise_ids: role === 'enterprise' ? ['ent-1'] : [],
    terminal_mns: role === 'installer' ? ['MN0001'] : [],
    disabled: false,
    wechat_bound: true,
    created_at: '2026-12-01T09:00:00+08:00',
    updated_at: '2026-12-01T09:00:00+08:00',
    version: 1,
    ...extra,
  };
}

export function tokens(role: string, expiresAtMs = Date.now() + 15 * 60_000) {
  return {
    access_token: `access-${role}`,
    token_type: 'Bearer',
    expires_in: 900,
    expires_at: new Date(expiresAtMs).toISOString(),
    refresh_token: `refresh-${role}`,
    account: account(role),
  };
}

export function alarm(id: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    rule: 'R1',
    rule_name: '治污设施未运行',
    enterprise_id: 'ent-1',
    enterprise_name: '如皋示例化工有限公司',
    severity: 'high',
    state: 'pending',
    state_name: '待响应',
    active: true,
    data_start: '2026-12-06T08:30:00+08:00',
    created_at: '2026-12-06T09:00:00+08:00',
    updated_at: '2026-12-06T09:00:00+08:00',
    response_due: '2026-12-06T11:00:00+08:00',
    investigation_due: null,
    overdue: [],
    dispatched_to: null,
    point_ids: ['pt-1'],
    version: 3,
    ...extra,
  };
}

export function error(code: string, message: string, field: string | null = null) {
  return { code, message, field };
}
