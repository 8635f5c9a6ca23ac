import { beforeEach, expect, test } from '@jest/globals';
import { backoff } from '../../app/lib/http';
import { field, loadPage, render, settle, tap, text } from '../support/page';
import { phone, type Sent } from '../support/wx';
import { error, tokens, photoOut, terminalOut } from '../support/api';

const id = loadPage('installer/maintenance/maintenance');
const CHECKLIST = [
  { key: 'appearance', title: '外观' }, { key: 'wiring', title: '接线' }, { key: 'seal', title: '封签' },
];
const entry = (n: number, extra: Record<string, unknown> = {}) => ({
  entry_id: `me-${n}`, enterprise_id: 'ent-1', kind: 'inspection', kind_name: '巡检', at: '2026-12-05T15:00:00+08:00',
  recorded_at: '2026-12-05T15:01:00+08:00', by: 'acc-installer', mn: 'MN0001', point_id: '', items: [], text: '',
  photo_ids: ['ph-x'], checks: [], passed: null, checklist: { appearance: true, wiring: false, seal: true }, readings: [],
  obligation: '', parts: [], back_online: null, ...extra,
});
const task = (id: string, mn: string, state = 'open', seconds_left = 5 * 3600 + 60) => ({
  obligation_id: id, enterprise_id: 'ent-1', enterprise_name: '如皋示例化工有限公司', mn, source: 'alarm', title: '终端离线',
  opened_at: '2026-12-06T08:00:00+08:00', deadline: '2026-12-07T08:00:00+08:00', seconds_left, state,
  state_name: state === 'open' ? '待维修' : '已修复', repaired_at: null, entry_id: '',
});
let posted: Sent[];
let log: unknown[];
let answer: { status: number; body: unknown } | null;

beforeEach(() => {
  phone.reset();
  backoff.sleep = async () => undefined;
  phone.storage.set('session', tokens('installer'));
  posted = [];
  answer = null;
  log = [entry(1, { readings: [{ point_id: 'pt-1', code: 'p', seen: 33, platform: 32.5, platform_at: '2026-12-05T14:59:00+08:00' }] }), entry(2, { kind: 'commissioning', kind_name: '调试', checklist: {}, photo_ids: [], passed: false })];
  phone.handler = (req) => {
    const url = req.url.split('?')[0];
    if (req.method === 'POST') {
      posted.push(req);
      if (answer) return answer;
      log = [entry(3, { kind: 'repair', kind_name: '维修', checklist: {}, parts: ['电流互感器'], text: 'B相 CT 更换', back_online: true }), ...log];
      return { status: 201, body: log[0] };
    }
    if (url.endsWith('/terminals/MN0001')) return { status: 200, body: terminalOut('MN0001') };
    if (url.endsWith('/maintenance/checklist')) return { status: 200, body: { items: CHECKLIST, inspection_interval_days: 14, repair_limit_hours: 24 } };
    if (url.endsWith('/maintenance/repairs')) {
      return { status: 200, body: { items: [task('alarm:al-7', 'MN0001'), task('alarm:al-8', 'MN0002'), task('fault:fr-1', 'MN0001', 'done')], counts: {} } };
    }
    if (url.endsWith('/enterprises/ent-1/maintenance-log')) return { status: 200, body: { items: log, next_cursor: null } };
    return { status: 404, body: error('not_found', '对象不存在') };
  };
});

async function open(extra: Record<string, string> = {}) {
  const page = render(id);
  page.instance.onLoad({ enterprise_id: 'ent-1', mn: 'MN0001', ...extra });
  await settle(40);
  return page;
}

test('the log reads each entry (abnormal items, commissioning verdict); an inspection must mark every checklist item', async () => {
  const page = await open();
  expect(page.querySelectorAll('.entry-head').map((n) => n.dom.textContent)).toEqual(['巡检 12-05 15:00 · MN0001', '调试（未通过） 12-05 15:00 · MN0001']);
  expect(text(page, '.entry-detail')).toBe('异常：接线；p 现场 33 kW / 平台 32.5 kW');
  tap(page, '.submit');
  await settle();
  expect(text(page, '.err-kind')).toBe('请选择记录类型');
  page.instance.onKind({ currentTarget: { dataset: { code: 'inspection' } } });
  page.instance.onMark({ currentTarget: { dataset: { key: 'appearance', mark: 'ok' } } });
  tap(page, '.submit');
  await settle();
  expect(text(page, '.err-marks')).toBe('请逐项检查：接线、封签 未填');
  page.instance.onMark({ currentTarget: { dataset: { key: 'wiring', mark: 'bad' } } });
  page.instance.onMark({ currentTarget: { dataset: { key: 'seal', mark: 'ok' } } });
  expect(page.querySelectorAll('.meter')).toHaveLength(2); // power and energy of the terminal's one point
  const seen = (key: string, value: string) => page.instance.onSeen({ detail: { value }, currentTarget: { dataset: { key } } });
  seen('pt-1 p', '三十');
  page.instance.onInput(field('date', '2099-01-01'));
  tap(page, '.submit');
  await settle();
  expect(text(page, '.err-at')).toBe('作业时间不能晚于现在');
  expect(text(page, '.err-seen')).toBe('现场读数须为数字（不读可留空）');
  expect(posted).toHaveLength(0);
  seen('pt-1 p', ' 33.5 ');
  page.instance.onInput(field('date', '2026-12-06'));
  page.instance.onInput(field('time', '08:30'));
  page.instance.onInput(field('text', '接线端子松动，已紧固'));
  tap(page, '.submit');
  await settle(60);
  expect(posted[0].url).toMatch(/\/terminals\/MN0001\/inspections$/);
  expect(posted[0].data).toEqual({
    at: '2026-12-06T08:30:00+08:00', checklist: { appearance: true, wiring: false, seal: true },
    readings: [{ point_id: 'pt-1', code: 'p', value: 33.5 }], photo_ids: [], text: '接线端子松动，已紧固',
  });
});

test("a repair answers one of this terminal's open tasks with its work, parts and photos; the log then reloads", async () => {
  const page = await open();
  page.instance.onKind({ currentTarget: { dataset: { code: 'repair' } } });
  expect(page.querySelectorAll('.task').map((n) => n.dom.textContent)).toEqual(['终端离线（MN0001，12-06 08:00 起，剩余 5小时01分）']);
  tap(page, '.submit');
  await settle();
  expect([text(page, '.err-obligation'), text(page, '.err-text')]).toEqual(['请选择要处理的维修任务', '请填写维修内容']);
  tap(page, '.task');
  page.instance.onPart({ currentTarget: { dataset: { name: '电流互感器' } } });
  page.instance.onInput(field('text', ' B相 CT 更换 '));
  phone.chosen = ['wxfile://ct.jpg'];
  await page.instance.addPhotos();
  phone.uploadHandler = () => ({ status: 201, body: photoOut('ph-ct') });
  tap(page, '.submit');
  await settle(60);
  expect(phone.uploads[0].formData).toEqual({ enterprise_id: 'ent-1', kind: 'site', subject_id: 'MN0001' });
  expect(posted[0].url).toMatch(/\/maintenance\/repairs\/alarm%3Aal-7\/repair$/);
  expect(posted[0].data).toMatchObject({ text: 'B相 CT 更换', parts: ['电流互感器'], photo_ids: ['ph-ct'] });
  expect(phone.storage.has('draft:maintenance:ent-1:MN0001')).toBe(false);
  expect(text(page, '.entry-detail')).toBe('更换：电流互感器；终端已恢复上线');
  expect(page.instance.data.kind).toBe('');
});

test('opened from a repair task: that task is chosen; refused by the API, the message shows and the draft survives', async () => {
  answer = { status: 422, body: error('invalid', '照片不存在或不属于该企业', 'photo_ids.0') };
  const page = await open({ obligation: 'alarm:al-7' });
  expect(page.instance.data).toMatchObject({ kind: 'repair', obligation: 'alarm:al-7' });
  page.instance.onInput(field('text', '更换电源'));
  phone.chosen = ['wxfile://a.jpg'];
  await page.instance.addPhotos();
  tap(page, '.submit');
  await settle(60);
  expect(text(page, '.err-form')).toBe('照片不存在或不属于该企业');
  const again = await open();
  expect(again.instance.data).toMatchObject({ kind: 'repair', obligation: 'alarm:al-7', text: '更换电源', photos: ['wxfile://usr/a.jpg'] });
});

test('other work goes to the maintenance log with its text', async () => {
  const page = await open();
  page.instance.onKind({ currentTarget: { dataset: { code: 'other' } } });
  tap(page, '.submit');
  await settle();
  expect(text(page, '.err-text')).toBe('请填写作业内容');
  page.instance.onInput(field('text', '更新终端固件'));
  tap(page, '.submit');
  await settle(60);
  expect(posted[0].url).toMatch(/\/enterprises\/ent-1\/maintenance-log$/);
  expect(posted[0].data).toMatchObject({ kind: 'other', mn: 'MN0001', items: [], text: '更新终端固件' });
});
