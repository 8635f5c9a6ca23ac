import { beforeEach, expect, test } from '@jest/globals';
import { SUBSCRIBE_TEMPLATE_IDS } from '../../app/lib/config';
import { field, loadPage, render, settle, tap, text } from '../support/page';
import { phone, type Sent } from '../support/wx';
import { alarm, error, tokens, photoOut, alarmDetail } from '../support/api';

const id = loadPage('branch/verify/verify');
let verified: Sent | null;
let reported: Sent[];

beforeEach(() => {
  phone.reset();
  phone.storage.set('session', tokens('branch'));
  verified = null;
  reported = [];
  phone.handler = (req) => {
    if (req.url.endsWith('/notify/subscriptions')) {
      reported.push(req);
      return { status: 200, body: { grants: {} } };
    }
    if (req.method === 'GET') {
      return { status: 200, body: { ...alarmDetail('al-9', { state: 'dispatched', version: 7 }), response: { cause: 'other', cause_name: '其他', text: '设备检修', photos: [], by: 'x', at: '2026-12-06T09:30:00+08:00', late: false, location: { lat: 32.4, lon: 120.5, accuracy_m: 30 } } } };
    }
    verified = req;
    return { status: 200, body: alarm('al-9', { state: 'verified' }) };
  };
});

test('a verification needs a conclusion, text and a photo; then goes with photo ids and the place', async () => {
  const page = render(id);
  page.instance.onLoad({ id: 'al-9' });
  await settle(40);
  expect(text(page, '.response')).toBe('企业响应：其他：设备检修');
  expect(text(page, '.response-place')).toBe('企业响应位置：32.40000, 120.50000（误差约 30 米）');
  tap(page, '.submit');
  await settle();
  expect([text(page, '.err-verdict'), text(page, '.err-text'), text(page, '.err-photos')]).toEqual([
    '请选择核查结论',
    '请填写核查情况',
    '请至少拍一张现场照片',
  ]);
  expect(verified).toBeNull();
  page.instance.onVerdict({ currentTarget: { dataset: { verdict: '情况属实' } } });
  page.instance.onInput(field('text', '治污设施确未运行'));
  phone.chosen = ['wxfile://site.jpg'];
  await page.instance.addPhotos();
  await page.instance.locate();
  phone.uploadHandler = () => ({ status: 201, body: photoOut('ph-site') });
  tap(page, '.submit');
  await settle(60);
  expect(phone.uploads[0].formData).toEqual({ enterprise_id: 'ent-1', kind: 'verification', subject_id: 'al-9' });
  expect(verified!.data).toEqual({
    version: 7,
    result: '情况属实：治污设施确未运行',
    photos: ['ph-site'],
    location: { lat: 32.39, lon: 120.56, accuracy_m: 15 },
  });
  expect(page.querySelector('.done')).not.toBeNull();
  expect(phone.storage.has('draft:verify:al-9')).toBe(false);
});

test('after a verification the branch is offered subscribe messages once; the answers go to the API', async () => {
  SUBSCRIBE_TEMPLATE_IDS.splice(0, SUBSCRIBE_TEMPLATE_IDS.length, 'tmpl-dispatch', 'tmpl-overdue');
  phone.subscribeAnswer = 'reject';
  const page = render(id);
  page.instance.onLoad({ id: 'al-9' });
  await settle(40);
  page.instance.onVerdict({ currentTarget: { dataset: { verdict: '情况属实' } } });
  page.instance.onInput(field('text', '治污设施确未运行'));
  phone.chosen = ['wxfile://site.jpg'];
  await page.instance.addPhotos();
  tap(page, '.submit');
  await settle(60);
  SUBSCRIBE_TEMPLATE_IDS.splice(0);
  expect(verified).not.toBeNull();
  expect(phone.subscribeRequests).toEqual([['tmpl-dispatch', 'tmpl-overdue']]);
  expect(reported.map((r) => r.data)).toEqual([{ results: { 'tmpl-dispatch': 'reject', 'tmpl-overdue': 'reject' } }]);
});

test('409: the alarm changed meanwhile; it is loaded again with its version, the draft and the photos stay', async () => {
  let version = 7;
  phone.handler = (req) => {
    if (req.method === 'GET') return { status: 200, body: alarmDetail('al-9', { state: 'dispatched', version }) };
    verified = req;
    if ((req.data as { version: number }).version !== version) return { status: 409, body: error('conflict', '报警已被他人修改，请刷新后重试') };
    return { status: 200, body: alarm('al-9', { state: 'verified', version: version + 1 }) };
  };
  const page = render(id);
  page.instance.onLoad({ id: 'al-9' });
  await settle(40);
  page.instance.onVerdict({ currentTarget: { dataset: { verdict: '情况属实' } } });
  page.instance.onInput(field('text', '治污设施确未运行'));
  phone.chosen = ['wxfile://site.jpg'];
  await page.instance.addPhotos();
  version = 8;
  tap(page, '.submit');
  await settle(60);
  expect(text(page, '.err-form')).toBe('报警已更新，请确认后再提交');
  expect(phone.storage.get('draft:verify:al-9')).toMatchObject({ verdict: '情况属实', photos: ['wxfile://usr/site.jpg'] });
  tap(page, '.submit');
  await settle(60);
  expect(verified!.data).toMatchObject({ version: 8, result: '情况属实：治污设施确未运行' });
  expect(phone.uploads).toHaveLength(1); // the photo went up once
});
