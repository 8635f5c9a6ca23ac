import { afterEach, beforeEach, expect, jest, test } from '@jest/globals';
import { loadPage, render, settle, text } from '../support/page';
import { phone } from '../support/wx';
import { alarm, tokens } from '../support/api';

const id = loadPage('enterprise/alarms/alarms');
let shown: Array<{ instance: { onUnload(): void } }> = [];

afterEach(() => {
  shown.forEach((p) => p.instance.onUnload());
  shown = [];
  jest.useRealTimers();
});

function show() {
  const page = render(id);
  shown.push(page as unknown as { instance: { onUnload(): void } });
  page.instance.onShow();
  return page;
}

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
  const page = show();
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
  const page = show();
  await settle(40);
  expect(page.querySelector('.empty')).not.toBeNull();
});

test('past the 2 h the alarm (now dispatched to the branch) can still be answered, marked late; answerable ones first', async () => {
  const minutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();
  phone.handler = () => ({
    status: 200,
    body: {
      items: [
        alarm('al-done', { state: 'responded', state_name: '企业已响应', response_due: null, created_at: minutes(-10) }),
        alarm('al-soon', { response_due: minutes(90), created_at: minutes(-30) }),
        alarm('al-late', { state: 'dispatched', state_name: '已派发核查', response_due: minutes(-10), created_at: minutes(-130) }),
        alarm('al-sent', { state: 'dispatched', state_name: '已派发核查', response_due: null, created_at: minutes(-200) }), // answered late already
      ],
    },
  });
  const page = show();
  await settle(40);
  const rows = page.instance.data.alarms as Array<{ id: string; left: string; canRespond: boolean }>;
  expect(rows.map((r) => r.id)).toEqual(['al-late', 'al-soon', 'al-done', 'al-sent']);
  expect(rows.map((r) => r.canRespond)).toEqual([true, true, false, false]);
  expect(rows[0].left).toBe('已超时，仍可补报（记为逾期）');
  expect(text(page, '.left')).toBe('响应时限：已超时，仍可补报（记为逾期）');
  expect(rows[1].left).toMatch(/^剩余 1小时(29|30)分$/);
  expect(rows[2].left).toBe('');
});

test('the time left counts down while the list is shown', async () => {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
  phone.handler = () => ({ status: 200, body: { items: [alarm('al-1', { response_due: new Date(Date.now() + 45 * 60_000).toISOString() })] } });
  const page = show();
  for (let i = 0; i < 60; i++) await Promise.resolve();
  expect(text(page, '.left')).toBe('响应时限：剩余 45分钟');
  jest.advanceTimersByTime(20 * 60_000); // the clock moves; no request is made again
  expect(text(page, '.left')).toBe('响应时限：剩余 25分钟');
  expect(page.querySelector('.urgent')).not.toBeNull();
  expect(phone.sent).toHaveLength(1);
});
