import { beforeEach, expect, test } from '@jest/globals';
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
