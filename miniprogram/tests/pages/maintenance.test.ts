import { beforeEach, expect, test } from '@jest/globals';
import { backoff } from '../../app/lib/http';
import { field, loadPage, render, settle, tap, text } from '../support/page';
import { phone, type Sent } from '../support/wx';
import { error, tokens } from '../support/api';

const id = loadPage('installer/maintenance/maintenance');
const entry = (n: number, extra: Record<string, unknown> = {}) => ({
  entry_id: `me-${n}`, enterprise_id: 'ent-1', kind: 'inspection', kind_name: '巡检', at: '2026-12-05T15:00:00+08:00',
  recorded_at: '2026-12-05T15:01:00+08:00', by: 'acc-installer', mn: 'MN0001', point_id: '', items: ['终端在线', '接线紧固'],
  text: '', photo_ids: ['ph-x'], checks: [], passed: null, ...extra,
});
let added: Sent[];
let log: unknown[];
let answer: { status: number; body: unknown } | null;

beforeEach(() => {
  phone.reset();
  backoff.sleep = async () => undefined;
  phone.storage.set('session', tokens('installer'));
  added = [];
  answer = null;
  log = [entry(1), entry(2, { kind: 'commissioning', kind_name: '调试', items: [], photo_ids: [], passed: false })];
  phone.handler = (req) => {
    if (req.method === 'POST') {
      added.push(req);
      if (answer) return answer;
      log = [entry(3, { kind: 'repair', kind_name: '维修', items: ['更换 CT'], text: 'B相 CT 更换' }), ...log];
      return { status: 201, body: log[0] };
    }
    if (req.url.split('?')[0].endsWith('/enterprises/ent-1/maintenance-log')) return { status: 200, body: { items: log, next_cursor: null } };
    return { status: 404, body: error('not_found', '对象不存在') };
  };
});

async function open() {
  const page = render(id);
  page.instance.onLoad({ enterprise_id: 'ent-1', mn: 'MN0001' });
  await settle(40);
  return page;
}

test('the log shows each entry, a commissioning with its verdict; the form checks kind, items and time first', async () => {
  const page = await open();
  expect(page.querySelectorAll('.entry')).toHaveLength(2);
  expect(text(page, '.entry-head')).toBe('巡检 12-05 15:00 · MN0001');
  expect(page.querySelectorAll('.entry-head')[1].dom.textContent).toBe('调试（未通过） 12-05 15:00 · MN0001');
  tap(page, '.submit');
  await settle();
  expect(text(page, '.err-kind')).toBe('请选择记录类型');
  page.instance.onKind({ currentTarget: { dataset: { code: 'inspection' } } });
  tap(page, '.submit');
  await settle();
  expect(text(page, '.err-items')).toBe('请勾选检查项目');
  page.instance.onItem({ currentTarget: { dataset: { name: '封签完好' } } });
  page.instance.onInput(field('date', '2099-01-01'));
  tap(page, '.submit');
  await settle();
  expect(text(page, '.err-at')).toBe('作业时间不能晚于现在');
  expect(added).toHaveLength(0);
});

test('a repair goes with its items, Beijing work time, text and photo ids; the draft then goes and the log reloads', async () => {
  const page = await open();
  page.instance.onKind({ currentTarget: { dataset: { code: 'repair' } } });
  expect(page.querySelectorAll('.item')).toHaveLength(6);
  page.instance.onItem({ currentTarget: { dataset: { name: '更换 CT' } } });
  page.instance.onInput(field('date', '2026-12-06'));
  page.instance.onInput(field('time', '08:30'));
  tap(page, '.submit');
  await settle();
  expect(text(page, '.err-text')).toBe('请填写维修或作业内容');
  page.instance.onInput(field('text', ' B相 CT 更换 '));
  phone.chosen = ['wxfile://ct.jpg'];
  await page.instance.addPhotos();
  phone.uploadHandler = () => ({ status: 201, body: { photo_id: 'ph-ct' } });
  tap(page, '.submit');
  await settle(60);
  expect(phone.uploads[0].formData).toEqual({ enterprise_id: 'ent-1', kind: 'site', subject_id: 'MN0001' });
  expect(added[0].url).toMatch(/\/enterprises\/ent-1\/maintenance-log$/);
  expect(added[0].data).toEqual({
    kind: 'repair', at: '2026-12-06T08:30:00+08:00', mn: 'MN0001', items: ['更换 CT'], text: 'B相 CT 更换', photo_ids: ['ph-ct'],
  });
  expect(phone.storage.has('draft:maintenance:ent-1:MN0001')).toBe(false);
  expect(page.querySelectorAll('.entry')).toHaveLength(3);
  expect(page.instance.data.kind).toBe('');
});

test('refused by the API: its Chinese message shows and the draft (kind, items, photos) survives a reopened page', async () => {
  answer = { status: 422, body: error('invalid', '照片不存在或不属于该企业', 'photo_ids.0') };
  const page = await open();
  page.instance.onKind({ currentTarget: { dataset: { code: 'inspection' } } });
  page.instance.onItem({ currentTarget: { dataset: { name: '终端在线' } } });
  page.instance.onItem({ currentTarget: { dataset: { name: '供电正常' } } });
  page.instance.onItem({ currentTarget: { dataset: { name: '终端在线' } } }); // ticked off again
  phone.chosen = ['wxfile://a.jpg'];
  await page.instance.addPhotos();
  tap(page, '.submit');
  await settle(60);
  expect(text(page, '.err-form')).toBe('照片不存在或不属于该企业');
  const again = await open();
  expect(again.instance.data).toMatchObject({ kind: 'inspection', items: ['供电正常'], photos: ['wxfile://usr/a.jpg'] });
  expect(again.querySelectorAll('.item.chosen')).toHaveLength(1);
});
