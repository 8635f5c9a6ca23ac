import { beforeEach, expect, test } from '@jest/globals';
import { SUBSCRIBE_TEMPLATE_IDS } from '../../app/lib/config';
import { backoff } from '../../app/lib/http';
import { field, loadPage, render, settle, tap, text } from '../support/page';
import { phone, type Sent } from '../support/wx';
import { alarm, tokens, photoOut, alarmDetail, error } from '../support/api';

const id = loadPage('enterprise/respond/respond');
const detail = alarmDetail('al-1');

let responded: Sent | null;
let reported: Sent[];

beforeEach(() => {
  phone.reset();
  backoff.sleep = async () => undefined;
  phone.storage.set('session', tokens('enterprise'));
  responded = null;
  reported = [];
  phone.handler = (req) => {
    if (req.method === 'GET') return { status: 200, body: detail };
    if (req.url.endsWith('/notify/subscriptions')) {
      reported.push(req);
      return { status: 200, body: { grants: { 'tmpl-alarm': 1 } } };
    }
    responded = req;
    return { status: 200, body: { ...alarm('al-1'), state: 'responded', state_name: '企业已响应', version: 4 } };
  };
});

async function open() {
  const page = render(id);
  page.instance.onLoad({ id: 'al-1' });
  await settle();
  return page;
}

test('the alarm shows its rule, evidence words and the time left; a cause is required', async () => {
  const page = await open();
  expect(text(page, '.title')).toBe('治污设施未运行');
  expect(text(page, '.word')).toBe('生产设施运行时治污设施未运行');
  expect(text(page, '.left')).toMatch(/^响应时限：(剩余 |已超时，仍可补报（记为逾期）)/);
  tap(page, '.submit');
  await settle();
  expect(text(page, '.err-cause')).toBe('请选择原因');
  expect(responded).toBeNull();
  page.instance.onCause({ currentTarget: { dataset: { code: 'other' } } });
  tap(page, '.submit');
  await settle();
  expect(text(page, '.err-text')).toBe('原因为“其他”时请填写说明');
  expect(responded).toBeNull();
});

test('photos (at most 9) upload first, then the response carries their ids, the location and the version', async () => {
  SUBSCRIBE_TEMPLATE_IDS.splice(0, SUBSCRIBE_TEMPLATE_IDS.length, 'tmpl-alarm');
  const page = await open();
  phone.chosen = Array.from({ length: 12 }, (_v, i) => `wxfile://tmp/${i}.jpg`);
  await page.instance.addPhotos();
  expect((page.instance.data.photos as string[]).length).toBe(9);
  await page.instance.addPhotos();
  expect((page.instance.data.photos as string[]).length).toBe(9);
  page.instance.onCause({ currentTarget: { dataset: { code: 'maintenance' } } });
  page.instance.onInput(field('text', '计划检修，已报备'));
  await page.instance.locate();
  expect(text(page, '.location')).toBe('位置：32.39000, 120.56000（误差约 15 米）');
  let n = 0;
  phone.uploadHandler = () => ({ status: 201, body: photoOut(`ph-${++n}`) });
  tap(page, '.submit');
  await settle(60);
  expect(phone.uploads).toHaveLength(9);
  expect(phone.uploads[0].formData).toEqual({ enterprise_id: 'ent-1', kind: 'alarm_response', subject_id: 'al-1' });
  expect(responded!.url).toMatch(/\/alarms\/al-1\/respond$/);
  expect(responded!.data).toEqual({
    version: 3,
    cause: 'maintenance',
    text: '计划检修，已报备',
    photos: ['ph-1', 'ph-2', 'ph-3', 'ph-4', 'ph-5', 'ph-6', 'ph-7', 'ph-8', 'ph-9'],
    location: { lat: 32.39, lon: 120.56, accuracy_m: 15 }, // the API's structured place, WGS-84 as it asks
  });
  expect(phone.locationTypes).toEqual(['wgs84']);
  expect(phone.storage.has('draft:respond:al-1')).toBe(false);
  expect(phone.subscribeRequests).toEqual([['tmpl-alarm']]); // offered once, after the first response
  expect(reported.map((r) => r.data)).toEqual([{ results: { 'tmpl-alarm': 'accept' } }]); // the API counts grants
  SUBSCRIBE_TEMPLATE_IDS.splice(0);
});

test('offline: the form stays on the phone, a dropped upload resumes without sending a photo twice', async () => {
  const page = await open();
  page.instance.onCause({ currentTarget: { dataset: { code: 'power_cut' } } });
  phone.chosen = ['wxfile://a.jpg', 'wxfile://b.jpg'];
  await page.instance.addPhotos();
  phone.network = 'none';
  phone.uploadHandler = (path) => (path.endsWith('b.jpg') ? { status: 0, fail: true } : { status: 201, body: photoOut('ph-a') });
  tap(page, '.submit');
  await settle(60);
  expect(text(page, '.err-form')).toContain('已填写的内容已保存在手机上');
  expect(responded).toBeNull();
  // the draft holds the photos kept in the mini-program's storage, not the temporary files WeChat may drop
  expect(phone.storage.get('draft:respond:al-1')).toMatchObject({ cause: 'power_cut', photos: ['wxfile://usr/a.jpg', 'wxfile://usr/b.jpg'] });

  const again = await open(); // the page opened anew: the draft is back
  expect(again.instance.data.cause).toBe('power_cut');
  phone.uploads = [];
  phone.uploadHandler = () => ({ status: 201, body: photoOut('ph-b') });
  tap(again, '.submit');
  await settle(60);
  expect(phone.uploads.map((u) => u.filePath)).toEqual(['wxfile://usr/b.jpg']);
  expect((responded!.data as { photos: string[] }).photos).toEqual(['ph-a', 'ph-b']);
  expect(phone.deleted).toEqual(['wxfile://usr/a.jpg', 'wxfile://usr/b.jpg']); // accepted: the kept copies go
});

test('no location allowed: the response goes without one; a photo taken off the form is deleted from the phone', async () => {
  phone.location = null;
  const page = await open();
  page.instance.onCause({ currentTarget: { dataset: { code: 'false_alarm' } } });
  phone.chosen = ['wxfile://a.jpg', 'wxfile://b.jpg'];
  await page.instance.addPhotos();
  page.instance.removePhoto({ currentTarget: { dataset: { index: 0 } } });
  expect(phone.deleted).toEqual(['wxfile://usr/a.jpg']);
  expect(phone.storage.get('draft:respond:al-1')).toMatchObject({ photos: ['wxfile://usr/b.jpg'] });
  await page.instance.locate();
  expect(phone.toasts).toContain('未获得定位，请在设置中允许使用位置');
  expect(text(page, '.location')).toBe('未记录位置');
  tap(page, '.submit');
  await settle(60);
  expect(responded!.data).toMatchObject({ cause: 'false_alarm', location: null });
});

test('a draft saved before locations carried their accuracy still opens with its place', async () => {
  phone.storage.set('draft:respond:al-1', { cause: 'other', text: '旧草稿', photos: [], location: { lat: 32.1, lon: 120.2 } });
  const page = await open();
  expect(page.instance.data.location).toEqual({ lat: 32.1, lon: 120.2, accuracy_m: null });
  expect(text(page, '.location')).toBe('位置：32.10000, 120.20000');
});

test('past the 2 h, dispatched to the branch: the form is still there, says the answer is late, and is sent', async () => {
  const late = alarmDetail('al-1', { state: 'dispatched', state_name: '已派发核查', response_due: new Date(Date.now() - 5 * 60_000).toISOString(), version: 5 });
  phone.handler = (req) => {
    if (req.method === 'GET') return { status: 200, body: late };
    responded = req;
    return { status: 200, body: { ...alarm('al-1'), state: 'dispatched', state_name: '已派发核查', response_due: null, version: 6 } };
  };
  const page = await open();
  expect(text(page, '.left')).toBe('响应时限：已超时，仍可补报（记为逾期）');
  expect(page.querySelector('.form')).toBeTruthy();
  page.instance.onCause({ currentTarget: { dataset: { code: 'power_cut' } } });
  tap(page, '.submit');
  await settle(40);
  expect(responded!.data).toMatchObject({ version: 5, cause: 'power_cut' });
  page.instance.onUnload();
});

test('an answered alarm shows no form', async () => {
  phone.handler = () => ({ status: 200, body: alarmDetail('al-1', { state: 'dispatched', state_name: '已派发核查', response_due: null }) });
  const page = await open();
  expect(page.querySelector('.form')).toBeFalsy();
  page.instance.onUnload();
});

test('409: the alarm changed meanwhile; it is loaded again, the draft stays, and the next try sends the new version', async () => {
  let version = 3;
  phone.handler = (req) => {
    if (req.method === 'GET') return { status: 200, body: alarmDetail('al-1', { version }) };
    responded = req;
    if ((req.data as { version: number }).version !== version) return { status: 409, body: error('conflict', '报警已被他人修改，请刷新后重试') };
    return { status: 200, body: { ...alarm('al-1'), state: 'responded', state_name: '企业已响应', version: version + 1 } };
  };
  const page = await open();
  page.instance.onCause({ currentTarget: { dataset: { code: 'maintenance' } } });
  page.instance.onInput(field('text', '检修'));
  version = 4; // someone (the escalation) changed it
  tap(page, '.submit');
  await settle(40);
  expect(text(page, '.err-form')).toBe('报警已更新，请确认后再提交');
  expect(phone.sent.filter((r) => r.method === 'GET')).toHaveLength(2);
  expect(phone.storage.get('draft:respond:al-1')).toMatchObject({ cause: 'maintenance', text: '检修' });
  expect(page.instance.data.sent).toBe(false);
  tap(page, '.submit');
  await settle(40);
  expect(responded!.data).toMatchObject({ version: 4, cause: 'maintenance', text: '检修' });
  expect(page.instance.data.sent).toBe(true);
  page.instance.onUnload();
});
