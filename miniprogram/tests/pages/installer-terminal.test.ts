import { afterEach, beforeEach, expect, test } from '@jest/globals';
import { field, loadPage, render, settle, tap, text } from '../support/page';
import { phone, type Sent } from '../support/wx';
import { tokens, photoOut, commandOut } from '../support/api';

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
let lastEntry: Record<string, unknown> | null;
let commissioned: Sent[];
const check = (key: string, verdict: string, verdict_name: string, detail: string) => ({ key, title: TITLES[key], verdict, verdict_name, detail, values: {} });
const TITLES: Record<string, string> = { voltage: '三相电压均有', direction: '电流方向正确（无负功率）', sequence: '相序正确（未接错相）', gps: '有定位（GPS）' };
const entry = (checks: unknown[], passed: boolean) => ({
  entry_id: 'me-1', enterprise_id: 'ent-1', kind: 'commissioning', kind_name: '调试', at: '2026-12-06T10:01:00+08:00',
  recorded_at: '2026-12-06T10:01:00+08:00', by: 'acc-installer', mn: 'MN0001', point_id: 'pt-1', items: [], text: '',
  photo_ids: [], checklist: {}, readings: [], obligation: '', parts: [], back_online: null, checks, passed,
});
const ALL_PASS = [
  check('voltage', 'pass', '通过', '230V / 231V / 229V'), check('direction', 'pass', '通过', '各相有功功率均不为负'),
  check('sequence', 'pass', '通过', '电压正序'), check('gps', 'pass', '通过', '32.39000, 120.56000'),
];

beforeEach(() => {
  phone.reset();
  phone.storage.set('session', tokens('installer'));
  commands = [];
  posted = [];
  pages = [];
  lastEntry = null;
  commissioned = [];
  values = { ua: 230, ub: 231, uc: 229, pa: 10, pb: 11, pc: 12, p: 33, angle_ua: 0, angle_ub: -120, angle_uc: 120 };
  phone.handler = (req) => {
    const url = req.url.split('?')[0];
    if (req.method === 'POST' && url.endsWith('/terminals/MN0001/commissioning')) {
      commissioned.push(req);
      lastEntry = entry(ALL_PASS, true);
      return { status: 201, body: { entry: lastEntry, reading_at: '2026-12-06T09:59:00+08:00', install_status_before: 'installed', install_status: 'networked' } };
    }
    if (url.endsWith('/terminals/MN0001/commissioning')) {
      return lastEntry ? { status: 200, body: lastEntry } : { status: 404, body: { code: 'not_found', message: '该终端尚无调试记录' } };
    }
    if (req.method === 'POST') {
      posted.push(req);
      const c = commandOut(`c${commands.length + 1}`, { kind: (req.data as { kind: string }).kind });
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
  page.instance.onShow();
  await settle(40);
  return page;
}

test('online, last frame, the point with its values; commissioning is judged and recorded by the platform', async () => {
  const page = await open();
  expect(text(page, '.online')).toBe('在线');
  expect(text(page, '.point-title')).toBe('1号线生产（P-001，通道 01，CT 150）');
  expect(text(page, '.never')).toContain('尚无调试记录');
  expect(page.querySelectorAll('.check')).toHaveLength(0); // the page judges nothing itself
  phone.chosen = ['wxfile://box.jpg'];
  phone.uploadHandler = () => ({ status: 201, body: photoOut('ph-box') });
  await page.instance.addPhotos();
  expect(phone.uploads[0].formData).toEqual({ enterprise_id: 'ent-1', kind: 'installation', subject_id: 'MN0001' });
  page.instance.onNote(field('note', ' 电流互感器已复核 '));
  tap(page, '.commission');
  await settle(40);
  expect(commissioned.map((r) => r.data)).toEqual([{ point_id: 'pt-1', text: '电流互感器已复核', photo_ids: ['ph-box'] }]);
  expect(page.querySelectorAll('.verdict-pass')).toHaveLength(4);
  expect(text(page, '.check-voltage')).toContain('三相电压均有：通过');
  expect(text(page, '.commission-head')).toBe('调试记录 12-06 10:01，依据 12-06 09:59 的数据：通过');
  expect(text(page, '.ready')).toBe('全部通过：平台记为已联网，从首日数据起自动开始试运行（连续工作日数据完整率达标即通过）；企业安装进度已由“已安装”推进为“已联网”');
  expect(phone.toasts).toContain('调试通过');
});

test("the last record shows the server's verdicts as they are, 'unknown' never as a pass", async () => {
  lastEntry = entry([
    check('voltage', 'pass', '通过', '230V / 231V / 229V'), check('direction', 'fail', '不通过', 'B相有功功率为负：电流互感器可能接反'),
    check('sequence', 'unknown', '无法判断', '最新数据没有电压相角，无法判断'), check('gps', 'pass', '通过', '32.39000, 120.56000'),
  ], false);
  const page = await open(); // the newest values look fine: the page still shows what the platform judged
  expect(page.querySelectorAll('.verdict-pass')).toHaveLength(2);
  expect(text(page, '.check-direction')).toContain('B相有功功率为负');
  expect(text(page, '.check-sequence')).toContain('无法判断');
  expect(text(page, '.commission-head')).toBe('调试记录 12-06 10:01：未通过');
  expect(text(page, '.ready')).toContain('未全部通过');
  page.instance.onNote(field('note', '长'.repeat(1001)));
  tap(page, '.commission');
  await settle();
  expect(text(page, '.err-note')).toBe('说明不超过 1000 字');
  expect(commissioned).toHaveLength(0);
});

test('maintenance entries and the campaign steps open for the terminal\'s enterprise', async () => {
  const page = await open();
  tap(page, '.maintenance');
  await settle();
  tap(page, '.campaign');
  await settle();
  expect(phone.navigations).toEqual([
    'navigateTo /pages/installer/maintenance/maintenance?enterprise_id=ent-1&mn=MN0001',
    'navigateTo /pages/installer/campaign/campaign?enterprise_id=ent-1',
  ]);
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

test('read now: queued, then done, and the values the terminal sent show without reopening the page', async () => {
  const page = await open();
  expect(text(page, '.value')).toContain('230 V');
  tap(page, '.read-now');
  await settle(40);
  expect(text(page, '.command-state')).toBe('排队中');
  // the terminal answers: the command is done and its reading stored
  values = { ...values, ua: 236.5 };
  commands[0] = { ...commands[0], state: 'done', state_name: '已完成', status: 'succeeded', status_name: '已成功' };
  const reads = () => phone.sent.filter((r) => r.url.endsWith('/points/pt-1/latest')).length;
  const before = reads();
  await page.instance.loadCommands(); // the 5 s poll
  await settle(40);
  expect(text(page, '.command-state')).toBe('已完成');
  expect(reads()).toBe(before + 1);
  expect(text(page, '.value')).toContain('236.5 V');
  await page.instance.loadCommands(); // done already seen: not read again
  await settle(40);
  expect(reads()).toBe(before + 1);
});

test('a failed or timed-out command says why; a queued one does not', async () => {
  commands = [
    commandOut('c3', { state: 'timed_out', state_name: '超时', status: 'timed_out', status_name: '已超时', detail: '终端 60 分钟内未应答' }),
    commandOut('c2', { state: 'failed', state_name: '失败', status: 'rejected', status_name: '被拒绝', detail: '终端拒绝：密码错误' }),
    commandOut('c1', { detail: '等待终端上线' }),
  ];
  const page = await open();
  expect(page.querySelectorAll('.command-detail').map((n) => n.dom.textContent)).toEqual(['终端 60 分钟内未应答', '终端拒绝：密码错误']);
});

test('shown again (back from binding a point) or pulled down, the terminal is read again', async () => {
  const page = await open();
  const reads = () => phone.sent.filter((r) => r.url.endsWith('/terminals/MN0001')).length;
  expect(reads()).toBe(1);
  page.instance.onShow();
  await settle(40);
  expect(reads()).toBe(2);
  page.instance.onPullDownRefresh();
  await settle(40);
  expect(reads()).toBe(3);
});

test('the commissioning form is kept on the phone: note and uploaded photos survive a reopened page; gone once recorded', async () => {
  const page = await open();
  page.instance.onNote(field('note', '箱体已固定'));
  phone.chosen = ['wxfile://a.jpg', 'wxfile://b.jpg'];
  let n = 0;
  phone.uploadHandler = () => ({ status: 201, body: photoOut(`ph-${++n}`, { kind: 'installation', subject_id: 'MN0001' }) });
  await page.instance.addPhotos();
  expect(phone.storage.get('draft:commission:MN0001')).toEqual({ note: '箱体已固定', photos: ['wxfile://usr/a.jpg', 'wxfile://usr/b.jpg'], photoIds: ['ph-1', 'ph-2'] });

  const again = await open();
  expect(again.instance.data.note).toBe('箱体已固定');
  expect(text(again, '.photo-count')).toBe('已上传 2 张');
  phone.chosen = Array.from({ length: 9 }, (_v, i) => `wxfile://c${i}.jpg`);
  await again.instance.addPhotos(); // room for 7 more only
  expect((again.instance.data.photoIds as string[]).length).toBe(9);
  tap(again, '.commission');
  await settle(40);
  expect(commissioned.map((r) => (r.data as { text: string; photo_ids: string[] }).photo_ids.length)).toEqual([9]);
  expect((commissioned[0].data as { text: string }).text).toBe('箱体已固定');
  expect(phone.storage.has('draft:commission:MN0001')).toBe(false);
  expect(again.instance.data.photos).toEqual([]);
});
