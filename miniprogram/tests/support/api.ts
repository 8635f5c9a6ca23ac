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

/** POST /photos's answer (PhotoOut). */
export function photoOut(photoId: string, extra: Record<string, unknown> = {}) {
  return {
    photo_id: photoId,
    enterprise_id: 'ent-1',
    kind: 'site',
    kind_name: '现场照片',
    subject_id: null,
    content_type: 'image/jpeg',
    size: 1024,
    width: 640,
    height: 480,
    sha256: 'a'.repeat(64),
    uploaded_by: 'acc-enterprise',
    created_at: '2026-12-06T10:00:00+08:00',
    url: `/api/v1/photos/${photoId}`,
    ...extra,
  };
}

/** One enterprise of GET /enterprises (EnterpriseItem). */
export function enterpriseItem(id = 'ent-1', extra: Record<string, unknown> = {}) {
  return {
    enterprise_id: id,
    name: '如皋示例化工有限公司',
    credit_code: '91320682MA000000XX',
    town_id: 'town-1',
    town_name: '如城街道',
    branch_id: 'br-1',
    branch_name: '如城分局',
    category: 'air_control',
    category_name: '大气管控',
    install_status: 'networked',
    install_status_name: '已联网',
    exempt: false,
    status: 'producing',
    status_name: '生产中',
    status_at: '2026-12-06T09:58:00+08:00',
    list_year: 2026,
    list_seq: 1,
    version: 1,
    ...extra,
  };
}

/** A point of an enterprise's file (PointItem). */
export function pointItem(id = 'pt-1', extra: Record<string, unknown> = {}) {
  return {
    point_id: id,
    facility_id: 'fac-1',
    point_code: 'P-001',
    name: '1号线生产',
    role: 'production',
    role_name: '生产',
    mn: 'MN0001',
    channel: '01',
    ct_ratio: 150,
    pt_ratio: 1,
    status: 'active',
    status_name: '在用',
    version: 1,
    ...extra,
  };
}

/** A terminal of an enterprise's file (TerminalItem). */
export function terminalItem(mn = 'MN0001', extra: Record<string, unknown> = {}) {
  return {
    mn,
    model: 'X',
    firmware: '1',
    profile: 'default',
    online: true,
    last_frame_at: '2026-12-06T09:59:00+08:00',
    clock_skew_s: 1,
    gps: null,
    minute_interval_min: 5,
    realtime_interval_s: 60,
    ...extra,
  };
}

/** GET /enterprises/{id} (EnterpriseDetail). */
export function enterpriseDetail(id = 'ent-1', extra: Record<string, unknown> = {}) {
  return {
    ...enterpriseItem(id),
    permit_no: '',
    industry: '化工',
    performance_grade: '',
    contacts: [],
    exemption: null,
    facilities: [],
    points: [pointItem()],
    lines: [],
    terminals: [],
    installers: [],
    photos: [],
    ...extra,
  };
}

/** GET /terminals/{mn} (TerminalOut); its points are BoundPointOut. */
export function terminalOut(mn = 'MN0001', extra: Record<string, unknown> = {}) {
  return {
    mn,
    enterprise_id: 'ent-1',
    enterprise_name: '如皋示例化工有限公司',
    online: true,
    last_frame_at: '2026-12-06T09:59:00+08:00',
    last_peer: '10.0.0.1:5000',
    clock_skew_s: 1,
    gps: { lat: 32.39, lon: 120.56, at: '2026-12-06T09:59:00+08:00' },
    model: 'X',
    firmware: '1',
    profile: 'default',
    minute_interval_min: 5,
    realtime_interval_s: 60,
    password_change_pending: false,
    points: [boundPoint()],
    version: 1,
    ...extra,
  };
}

export function boundPoint(extra: Record<string, unknown> = {}) {
  return {
    point_id: 'pt-1',
    point_code: 'P-001',
    name: '1号线生产',
    enterprise_id: 'ent-1',
    channel: '01',
    ct_ratio: 150,
    pt_ratio: 1,
    status: 'active',
    version: 2,
    ...extra,
  };
}

/** A fault report (FaultOut). */
export function faultOut(id: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    enterprise_id: 'ent-1',
    kind: 'monitoring',
    kind_name: '用电工况监控设备故障',
    point_ids: ['pt-1'],
    fault_start: '2026-12-05T08:00:00+08:00',
    filed_at: '2026-12-05T09:00:00+08:00',
    filed_by: 'acc-enterprise',
    filed_late: false,
    description: '终端断电',
    photos: [],
    resolved_at: null,
    acknowledged_by: null,
    ...extra,
  };
}

/** A stoppage request (StoppageOut). */
export function stoppageOut(id: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    enterprise_id: 'ent-1',
    kind: 'control_stop',
    kind_name: '治污设施停运（检修）',
    point_ids: ['pt-1'],
    start: '2026-12-01T08:00:00+08:00',
    end: null,
    reason: '检修',
    filed_at: '2026-12-01T07:00:00+08:00',
    filed_by: 'acc-enterprise',
    decision: 'pending',
    decision_name: '待审批',
    decision_deadline: '2026-12-08T23:59:59+08:00',
    decided_at: null,
    decided_by: null,
    decision_note: '',
    calendar_warning: null,
    ...extra,
  };
}

/** GET /alarms/{id} (AlarmDetailOut): the alarm with its evidence, response, verification and history. */
export function alarmDetail(id: string, extra: Record<string, unknown> = {}) {
  return {
    ...alarm(id),
    episodes: [
      {
        start: '2026-12-06T08:30:00+08:00', end: null, retracted: false, words: ['生产设施运行时治污设施未运行'],
        thresholds: {}, evidence: {}, quality: {}, suppressions: [],
      },
    ],
    quality_words: [], time_left_s: {}, response: null, verification: null, closed_at: null, close_note: '',
    escalated_at: null, reminders: [], notifications: [], photos: [], series_start: '2026-12-06T08:00:00+08:00',
    series_end: '2026-12-06T10:00:00+08:00', series: [], audit: [],
    ...extra,
  };
}

/** A downlink command (CommandOut). */
export function commandOut(id: string, extra: Record<string, unknown> = {}) {
  return {
    command_id: id,
    mn: 'MN0001',
    kind: 'read_realtime',
    kind_name: '读取实时数据',
    cn: '2011',
    params: {},
    state: 'queued',
    state_name: '排队中',
    status: 'pending',
    status_name: '待发送',
    detail: '',
    attempts: 0,
    requested_by: 'acc-installer',
    created_at: '2026-12-06T10:00:00+08:00',
    expires_at: '2026-12-06T11:00:00+08:00',
    updated_at: null,
    result: {},
    ...extra,
  };
}

/** GET /me (MeOut): the account and what its role may do. */
export function me(role: string) {
  return { ...account(role), actions: ['alarms.read'] };
}
