// Chinese names of the API's codes shown before the server has named them (pickers); the contract test keeps the
// codes identical to the OpenAPI document's enums.
export const CAUSES: ReadonlyArray<{ code: string; name: string }> = [
  { code: 'maintenance', name: '计划检修' },
  { code: 'equipment_fault', name: '设备故障' },
  { code: 'power_cut', name: '停电' },
  { code: 'false_alarm', name: '误报' },
  { code: 'other', name: '其他' },
];

export const FAULT_KINDS: ReadonlyArray<{ code: string; name: string }> = [
  { code: 'control_equipment', name: '污染治理设施故障' },
  { code: 'monitoring', name: '用电工况监控设备故障' },
];

export const STOPPAGE_KINDS: ReadonlyArray<{ code: string; name: string }> = [
  { code: 'control_stop', name: '治污设施停运（检修）' },
  { code: 'monitoring_stop', name: '监控设施停运' },
  { code: 'monitoring_removal', name: '监控设施拆除' },
];

export const LEVELS: Readonly<Record<string, string>> = { yellow: '黄色预警', orange: '橙色预警', red: '红色预警' };

export const STATUS_NAMES: Readonly<Record<string, string>> = {
  producing: '生产中',
  stopped: '停产',
  curtailed: '限产',
  unknown: '无数据',
};

/** The home page of each role that works on the phone; other roles use the bureau's web platform. */
export const HOMES: Readonly<Record<string, string>> = {
  enterprise: '/pages/enterprise/home/home',
  installer: '/pages/installer/home/home',
  branch: '/pages/branch/home/home',
};

/** The maintenance entries an installer writes by hand (the API's MaintenanceKind without 调试, which it writes). */
export const MAINTENANCE_KINDS: ReadonlyArray<{ code: string; name: string }> = [
  { code: 'inspection', name: '巡检' },
  { code: 'repair', name: '维修' },
  { code: 'other', name: '其他' },
];

/** Parts a repair commonly replaces (the API keeps them as short phrases, ≤ 40 characters, ≤ 30 of them). */
export const REPAIR_PARTS: readonly string[] = ['终端', '电流互感器', '电源/电池', '通信卡/天线', '接线端子', '熔断器'];
