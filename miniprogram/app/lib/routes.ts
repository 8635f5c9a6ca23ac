// Every API call the mini-program makes, in one table: the contract test checks each against the OpenAPI document.
export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE'; // wx.request knows no PATCH

export interface Route {
  method: Method;
  path: string; // relative to API_BASE_URL (/api/v1), {name} for path parameters
  query?: readonly string[];
  body?: readonly string[];
  multipart?: readonly string[]; // form fields of a wx.uploadFile call (the file itself under `file`)
  auth?: false;
}

export const ROUTES = {
  wechatLogin: { method: 'POST', path: '/auth/wechat', body: ['code'], auth: false },
  bindInvitation: {
    method: 'POST',
    path: '/auth/wechat/bind-invitation',
    body: ['binding_ticket', 'invitation_code'],
    auth: false,
  },
  smsCode: { method: 'POST', path: '/auth/wechat/sms-code', body: ['binding_ticket', 'phone'], auth: false },
  bindPhone: {
    method: 'POST',
    path: '/auth/wechat/bind-phone',
    body: ['binding_ticket', 'phone', 'sms_code'],
    auth: false,
  },
  refresh: { method: 'POST', path: '/auth/refresh', body: ['refresh_token'], auth: false },
  logout: { method: 'POST', path: '/auth/logout', body: ['refresh_token'], auth: false },
  me: { method: 'GET', path: '/me' },
  enterprises: { method: 'GET', path: '/enterprises', query: ['q', 'limit', 'cursor'] },
  enterprise: { method: 'GET', path: '/enterprises/{enterprise_id}' },
  timeline: { method: 'GET', path: '/enterprises/{enterprise_id}/timeline', query: ['day'] },
  measures: { method: 'GET', path: '/enterprises/{enterprise_id}/measures' },
  pointLatest: { method: 'GET', path: '/points/{point_id}/latest' },
  pointSeries: { method: 'GET', path: '/points/{point_id}/series', query: ['start', 'end', 'quantity'] },
  alarms: { method: 'GET', path: '/alarms', query: ['state', 'enterprise_id', 'limit', 'cursor'] },
  alarm: { method: 'GET', path: '/alarms/{alarm_id}' },
  respond: { method: 'POST', path: '/alarms/{alarm_id}/respond', body: ['version', 'cause', 'text', 'photos', 'location'] },
  verify: { method: 'POST', path: '/alarms/{alarm_id}/verify', body: ['version', 'result', 'photos', 'location'] },
  randomChecks: { method: 'GET', path: '/random-checks/checks', query: ['mine', 'limit', 'cursor'] },
  randomCheck: { method: 'GET', path: '/random-checks/checks/{check_id}' },
  recordCheck: {
    method: 'POST',
    path: '/random-checks/checks/{check_id}/record',
    body: ['conclusion', 'findings', 'text', 'photo_ids', 'alarm_ids'],
  },
  faultReports: { method: 'GET', path: '/fault-reports', query: ['enterprise_id', 'limit', 'cursor'] },
  fileFault: {
    method: 'POST',
    path: '/fault-reports',
    body: ['enterprise_id', 'kind', 'point_ids', 'fault_start', 'description', 'photos'],
  },
  stoppages: { method: 'GET', path: '/stoppage-requests', query: ['enterprise_id', 'limit', 'cursor'] },
  fileStoppage: {
    method: 'POST',
    path: '/stoppage-requests',
    body: ['enterprise_id', 'kind', 'point_ids', 'start', 'end', 'reason'],
  },
  emergencyAlerts: { method: 'GET', path: '/emergency/alerts', query: ['active', 'limit'] },
  terminal: { method: 'GET', path: '/terminals/{mn}' },
  unregistered: { method: 'GET', path: '/unregistered-terminals', query: ['days'] },
  bindTerminal: {
    method: 'POST',
    path: '/terminals/{mn}/binding',
    body: ['point_code', 'point_version', 'channel', 'ct_ratio', 'password', 'rebind'],
  },
  commands: { method: 'GET', path: '/terminals/{mn}/commands', query: ['limit'] },
  sendCommand: { method: 'POST', path: '/terminals/{mn}/commands', body: ['kind', 'args', 'ttl_minutes'] },
  command: { method: 'GET', path: '/commands/{command_id}' },
  commission: { method: 'POST', path: '/terminals/{mn}/commissioning', body: ['point_id', 'text', 'photo_ids'] },
  lastCommissioning: { method: 'GET', path: '/terminals/{mn}/commissioning' },
  maintenanceLog: { method: 'GET', path: '/enterprises/{enterprise_id}/maintenance-log', query: ['limit', 'cursor'] },
  maintenanceChecklist: { method: 'GET', path: '/maintenance/checklist' },
  inspectionsDue: { method: 'GET', path: '/maintenance/inspections', query: ['state', 'enterprise_id'] },
  repairs: { method: 'GET', path: '/maintenance/repairs', query: ['state', 'enterprise_id'] },
  inspect: { method: 'POST', path: '/terminals/{mn}/inspections', body: ['at', 'checklist', 'readings', 'photo_ids', 'text'] },
  repair: {
    method: 'POST',
    path: '/maintenance/repairs/{obligation_id}/repair',
    body: ['at', 'text', 'parts', 'photo_ids'],
  },
  addMaintenance: {
    method: 'POST',
    path: '/enterprises/{enterprise_id}/maintenance-log',
    body: ['kind', 'at', 'mn', 'items', 'text', 'photo_ids'],
  },
  campaignFile: { method: 'GET', path: '/enterprises/{enterprise_id}/campaign' },
  surveyStep: {
    method: 'POST',
    path: '/enterprises/{enterprise_id}/campaign/survey',
    body: ['version', 'at', 'facilities', 'planned_points', 'photo_ids', 'remarks'],
  },
  installStep: {
    method: 'POST',
    path: '/enterprises/{enterprise_id}/campaign/installation',
    body: ['version', 'at', 'remarks', 'photo_ids'],
  },
  trialRestart: { method: 'POST', path: '/enterprises/{enterprise_id}/campaign/trial-restart', body: ['version'] },
  uploadPhoto: { method: 'POST', path: '/photos', multipart: ['enterprise_id', 'kind', 'subject_id'] },
  notifySubscriptions: { method: 'POST', path: '/notify/subscriptions', body: ['results'] },
} as const satisfies Record<string, Route>;

export type RouteName = keyof typeof ROUTES;

/** Fill a path template; every value is URI-encoded, a missing one is a programming error. */
export function fillPath(template: string, params: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_m, name: string) => {
    const value = params[name];
    if (value === undefined || value === '') throw new Error(`missing path parameter ${name}`);
    return encodeURIComponent(value);
  });
}

/** A query string; arrays repeat the name (as the API reads repeatable parameters), null/undefined are left out. */
export function queryString(query: Record<string, unknown> | undefined): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      if (v === undefined || v === null || v === '') continue;
      parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(v))}`);
    }
  }
  return parts.length ? `?${parts.join('&')}` : '';
}
