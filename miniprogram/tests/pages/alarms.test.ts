import { beforeEach, expect, test } from '@jest/globals';
import { loadPage, render, settle, text } from '../support/page';
import { phone } from '../support/wx';
import { alarm, tokens } from '../support/api';

const id = loadPage('enterprise/alarms/alarms');

beforeEach(() => {
  phone.reset();
  phone.storage.set('session', tokens('enterprise'));
});

test('pending alarms show the time left to respond; answered ones do not; a tap opens the response', async () => {
  const due = new Date(Date.now() + 25 * 60_000).toISOString();
  phone.handler = () => ({
    status: 200,
    body: { items: [alarm('al-1', { response_due: due }), alarm('al-2', { state: 'responded', state_name: '企业已响应' })] },
  });
  const page = render(id);
  page.instance.onShow();
  await settle(40);
  expect(decodeURIComponent(phone.sent[0].url)).toMatch(/\/alarms\?enterprise_id=ent-1&limit=50$/);
  expect(page.querySelectorAll('.alarm')).toHaveLength(2);
  expect(page.querySelectorAll('.left')).toHaveLength(1);
  expect(text(page, '.left')).toMatch(/^响应时限：剩余 2[45]分钟$/);
  expect(page.querySelector('.urgent')).not.toBeNull();
  page.querySelector('.alarm')!.dispatchEvent('tap');
  await settle();
  expect(phone.navigations).toEqual(['navigateTo /pages/enterprise/respond/respond?id=al-1']);
});

test('no alarms: an empty state, not a blank page', async () => {
  phone.handler = () => ({ status: 200, body: { items: [] } });
  const page = render(id);
  page.instance.onShow();
  await settle(40);
  expect(page.querySelector('.empty')).not.toBeNull();
});
