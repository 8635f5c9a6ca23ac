import { beforeEach, expect, jest, test } from '@jest/globals';
import { loadPage, render, settle } from '../support/page';
import { phone } from '../support/wx';
import { alarm, tokens, enterpriseDetail, terminalItem } from '../support/api';

const id = loadPage('branch/home/home');

beforeEach(() => {
  phone.reset();
  phone.storage.set('session', tokens('branch'));
  const later = new Date(Date.now() + 20 * 3600_000).toISOString();
  const sooner = new Date(Date.now() + 2 * 3600_000).toISOString();
  phone.handler = (req) => {
    const url = req.url.split('?')[0];
    if (url.endsWith('/alarms')) {
      return {
        status: 200,
        body: {
          items: [
            alarm('al-late', { state: 'dispatched', enterprise_id: 'ent-2', enterprise_name: '乙公司', investigation_due: later }),
            alarm('al-none', { state: 'dispatched', enterprise_id: 'ent-3', enterprise_name: '丙公司', investigation_due: null }),
            alarm('al-soon', { state: 'dispatched', enterprise_id: 'ent-1', enterprise_name: '甲公司', investigation_due: sooner }),
          ],
        },
      };
    }
    const gps = url.endsWith('/ent-1') ? { lat: 32.4, lon: 120.56, at: '2026-12-06T09:59:00+08:00' } : null;
    const eid = url.split('/').pop() as string;
    return { status: 200, body: enterpriseDetail(eid, { terminals: [terminalItem('MN-A'), terminalItem('MN-B', { gps })] }) };
  };
});

test('dispatched alarms by deadline (none last), with the distance where the enterprise has a GPS fix', async () => {
  const page = render(id);
  page.instance.onShow();
  await settle(60);
  const alarms = page.instance.data.alarms as Array<{ id: string; distance: string; left: string }>;
  expect(alarms.map((a) => a.id)).toEqual(['al-soon', 'al-late', 'al-none']);
  expect(alarms[0].distance).toBe('1.1 公里');
  expect(alarms[1].distance).toBe('');
  expect(alarms[0].left).toMatch(/^剩余 (1小时5\d分|2小时00分)$/);
  expect(decodeURIComponent(phone.sent[0].url)).toMatch(/\/alarms\?state=dispatched&limit=100$/);
});

test('without location permission: no distances, no enterprise look-ups, and a hint', async () => {
  phone.location = null;
  const page = render(id);
  page.instance.onShow();
  await settle(60);
  expect(phone.sent).toHaveLength(1);
  expect((page.instance.data.alarms as Array<{ distance: string }>).every((a) => a.distance === '')).toBe(true);
  expect(page.querySelector('.hint')).not.toBeNull();
});

test('every enterprise gets its distance (25 of them), each looked up once; the location is asked on the first show and on pull-down only', async () => {
  const due = new Date(Date.now() + 3600_000).toISOString();
  phone.handler = (req) => {
    const url = req.url.split('?')[0];
    if (url.endsWith('/alarms')) {
      const items = Array.from({ length: 25 }, (_v, i) => alarm(`al-${i}`, { state: 'dispatched', enterprise_id: `ent-${i}`, investigation_due: due }));
      return { status: 200, body: { items } };
    }
    const eid = url.split('/').pop() as string;
    return { status: 200, body: enterpriseDetail(eid, { terminals: [terminalItem(`MN-${eid}`, { gps: { lat: 32.4, lon: 120.56, at: '2026-12-06T09:59:00+08:00' } })] }) };
  };
  const page = render(id);
  page.instance.onShow();
  await settle(80);
  const alarms = () => page.instance.data.alarms as Array<{ distance: string }>;
  expect(alarms()).toHaveLength(25);
  expect(alarms().every((a) => a.distance === '1.1 公里')).toBe(true);
  const details = () => phone.sent.filter((r) => /\/enterprises\/ent-\d+$/.test(r.url)).length;
  expect(details()).toBe(25);
  expect(phone.locationTypes).toHaveLength(1);
  page.instance.onShow(); // back from a verification
  await settle(80);
  expect(phone.locationTypes).toHaveLength(1);
  expect(details()).toBe(25);
  expect(alarms().every((a) => a.distance === '1.1 公里')).toBe(true);
  page.instance.onPullDownRefresh();
  await settle(80);
  expect(phone.locationTypes).toHaveLength(2);
  page.instance.onUnload();
});

test('the investigation deadline counts down while shown', async () => {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
  phone.location = null;
  const due = new Date(Date.now() + 45 * 60_000).toISOString();
  phone.handler = () => ({ status: 200, body: { items: [alarm('al-1', { state: 'dispatched', investigation_due: due })] } });
  const page = render(id);
  page.instance.onShow();
  for (let i = 0; i < 80; i++) await Promise.resolve();
  expect((page.instance.data.alarms as Array<{ left: string }>)[0].left).toBe('剩余 45分钟');
  jest.advanceTimersByTime(60 * 60_000);
  expect((page.instance.data.alarms as Array<{ left: string }>)[0].left).toBe('已超时 15分钟');
  page.instance.onUnload();
  jest.useRealTimers();
});
