// The dashboard's screens: one entry each. The side menu and the breadcrumb are built from this list; a screen
// shows in the menu only for roles whose /me actions include its `action`.
import type { RouteRecordRaw } from 'vue-router'

export interface ScreenMeta {
  title: string
  /** Policy action the caller needs (GET /me `actions`); omitted = every signed-in role. */
  action?: string
  /** Menu order; screens without `menu` are reachable by link only (details). */
  menu?: number
  /** Element Plus icon component name (@element-plus/icons-vue). */
  icon?: string
  /** Title of the menu entry a detail page belongs to (the breadcrumb's middle step). */
  parent?: string
}

declare module 'vue-router' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface RouteMeta extends Partial<ScreenMeta> {}
}

export const screens: RouteRecordRaw[] = [
  {
    path: 'overview',
    name: 'overview',
    component: () => import('@/views/OverviewView.vue'),
    meta: { title: '总览', menu: 10, icon: 'DataBoard', action: 'dashboard.read' },
  },
  {
    path: 'alarms',
    name: 'alarms',
    component: () => import('@/views/AlarmsView.vue'),
    meta: { title: '报警处置', menu: 20, icon: 'Bell', action: 'alarms.read' },
  },
  {
    path: 'alarms/:alarmId',
    name: 'alarm',
    component: () => import('@/views/AlarmDetailView.vue'),
    props: true,
    meta: { title: '报警详情', parent: 'alarms', action: 'alarms.read' },
  },
  {
    path: 'enterprises',
    name: 'enterprises',
    component: () => import('@/views/EnterprisesView.vue'),
    meta: { title: '企业档案', menu: 30, icon: 'OfficeBuilding', action: 'enterprises.read' },
  },
  {
    path: 'enterprises/:enterpriseId',
    name: 'enterprise',
    component: () => import('@/views/EnterpriseView.vue'),
    props: true,
    meta: { title: '一企一档', parent: 'enterprises', action: 'enterprises.read' },
  },
  {
    path: 'campaign',
    name: 'campaign',
    component: () => import('@/views/CampaignView.vue'),
    meta: { title: '安装进度', menu: 35, icon: 'Finished', action: 'campaign.read' },
  },
  {
    path: 'emergency',
    name: 'emergency',
    component: () => import('@/views/EmergencyView.vue'),
    meta: { title: '应急管控', menu: 40, icon: 'Warning', action: 'emergency.alerts.read' },
  },
  {
    path: 'reports',
    name: 'reports',
    component: () => import('@/views/ReportsView.vue'),
    meta: { title: '报表', menu: 50, icon: 'Document', action: 'reports.monthly.read' },
  },
  {
    path: 'accounts',
    name: 'accounts',
    component: () => import('@/views/AccountsView.vue'),
    meta: { title: '用户管理', menu: 90, icon: 'User', action: 'accounts.read' },
  },
  {
    path: 'me',
    name: 'me',
    component: () => import('@/views/MeView.vue'),
    meta: { title: '个人信息' },
  },
]

/** The menu: screens with a `menu` order the caller may open, in order. */
export function menuScreens(can: (action: string) => boolean): RouteRecordRaw[] {
  return screens
    .filter((s) => s.meta?.menu !== undefined && (!s.meta.action || can(s.meta.action)))
    .sort((a, b) => (a.meta?.menu ?? 0) - (b.meta?.menu ?? 0))
}

/** Where `/` leads: the first screen of the caller's menu. */
export function homeScreen(can: (action: string) => boolean): string {
  const first = menuScreens(can)[0]
  return typeof first?.name === 'string' ? first.name : 'me'
}
