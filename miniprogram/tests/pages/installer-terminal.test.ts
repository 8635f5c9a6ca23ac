import { afterEach, beforeEach, expect, test } from '@jest/globals';
import { field, loadPage, render, settle, tap, text } from '../support/page';
import { phone, type Sent } from '../support/wx';
import { tokens } from '../support/api';

const id = loadPage('installer/terminal/terminal');
let commands: Array<Record<string, unknown>>;
let posted: Sent[];
let pages: Array<{ instance: { onUnload(): void } }>;

const terminal = {
  mn: 'MN0001', enterprise_id: 'ent-1', enterprise_name: '如皋示例化工有限公司', online: true,
  last_frame_at: '2026-12-06T09:59:00+08:00', last_peer: '10.0.0.1:5000', clock_skew_s: 1, gps: { lat: 32.39, lon: 120.56, at: '2026-12-06T09:59:00+08:00' },
  model: 'X', firmware: '1', profile: 'default', minute_interval_min: 5, realtime_interval_s: 60, password_change_pending: false,
  points: [{ point_id: 'pt-1', point_code: 'P-001', name: '1号线生产', enterprise_id: 'ent-1', channel: '01', ct_ratio: 150, pt_ratio: 1, status: 'active', version: 2 }], version: 1,
};
const latest = (values: Record<string, number>) => ({
  point_id: 'pt-1', enterprise_id: 'ent-1',
  readings: [{ kind: 'realtime', data_time: '2026-12-06T09:59:00+08:00', received_at: null, values, flags: {} }],
  quantities: { ua: { unit: 'V', name: 'A相电压' }, p: { unit: 'kW', name: '总有功功率' } },
});
let values: Record<string, number>;

beforeEach(() => {
  phone.reset();
  phone.storage.set('session', tokens('installer'));
  commands = [];
  posted = [];
  pages = [];
  values = { ua: 230, ub: 231, uc: 229, pa: 10, pb: 11, pc: 12, p: 33, angle_ua: 0, angle_ub: -120, angle_uc: 120 };
  phone.handler = (req) => {
    const url = req.url.split('?')[0];
    if (req.method === 'POST') {
      posted.push(req);
      const c = { command_id: `c${commands.length + 1}`, kind_name: '读取实时数据', state: 'queued', state_name: '排队中', status_name: '待发送', detail: '', created_at: '2026-12-06T10:00:00+08:00' };
      commands.unshift(c);
      return { status: 201, body: c };
    }
    if (url.endsWith('/terminals/MN0001')) return { status: 200, body: terminal };
    if (url.endsWith('/terminals/MN0001/commands')) return { status: 200, body: { items: commands } };
    if (url.endsWith('/points/pt-1/latest')) return { status: 200, body: latest(values) };
    return { status: 404, body: { code: 'not_found', message: '对象不存在（或不在权限范围内）' } };
  };
});

afterEach(() => pages.forEach((p) => p.instance.onUnload()));

async function open(mn = 'MN0001') {
  const page = render(id);
  pages.push(page as unknown as { instance: { onUnload(): void } });
  page.instance.onLoad({ mn });
  await settle(40);
  return page;
}

test('online, last frame, the point with its values, and a checklist that passes on good data', async () => {
  const page = await open();
  expect(text(page, '.online')).toBe('在线');
  expect(text(page, '.point-title')).toBe('1号线生产（P-001，通道 01，CT 150）');
  expect(page.querySelectorAll('.verdict-pass')).toHaveLength(4);
  expect(text(page, '.ready')).toContain('检查全部通过');
});

test('a reversed CT fails the direction check from the data itself', async () => {
  values = { ...values, pb: -11, p: 11 };
  const page = await open();
  expect(page.querySelectorAll('.verdict-pass')).toHaveLength(3);
  expect(text(page, '.check-direction')).toContain('B相有功功率为负');
  expect(text(page, '.ready')).toContain('未全部通过');
});

test('commands: read now, then its status shows; a bad password is refused before sending', async () => {
  const page = await open();
  tap(page, '.read-now');
  await settle(40);
  expect(posted[0].data).toEqual({ kind: 'read_realtime', args: {}, ttl_minutes: 60 });
  expect(text(page, '.command-state')).toBe('排队中');
  page.instance.onPassword(field('password', 'toolong7'));
  tap(page, '.set-password');
  await settle();
  expect(text(page, '.err-password')).toBe('新密码为 1–6 位字母或数字');
  expect(posted).toHaveLength(1);
  page.instance.onPassword(field('password', 'ab12'));
  tap(page, '.set-password');
  await settle(40);
  expect(posted[1].data).toEqual({ kind: 'set_password', args: { new_password: 'ab12' }, ttl_minutes: 60 });
  page.instance.onInterval({ detail: { value: '4' } });
  tap(page, '.set-interval');
  await settle(40);
  expect(posted[2].data).toEqual({ kind: 'set_minute_interval', args: { minutes: 5 }, ttl_minutes: 60 });
});

test('an unregistered MN offers the binding', async () => {
  const page = await open('MN9999');
  expect(text(page, '.missing-title')).toBe('终端 MN9999 尚未登记');
  tap(page, '.bind-new');
  await settle();
  expect(phone.navigations).toEqual(['navigateTo /pages/installer/bind-point/bind-point?mn=MN9999']);
});
