import { beforeEach, expect, test } from '@jest/globals';
import { field, loadPage, render, settle, tap, text } from '../support/page';
import { phone } from '../support/wx';
import { tokens, enterpriseItem } from '../support/api';

const id = loadPage('installer/home/home');

beforeEach(() => {
  phone.reset();
  phone.storage.set('session', tokens('installer'));
  phone.handler = (req) => req.url.split('?')[0].endsWith('/maintenance/inspections') ? {
    status: 200,
    body: { items: [
      { mn: 'MN0001', enterprise_id: 'ent-1', enterprise_name: '示例化工', state: 'overdue', state_name: '已超期', last_inspection_at: '2026-11-01T10:00:00+08:00', last_entry_id: 'me-1', due_at: '2026-11-15T10:00:00+08:00' },
      { mn: 'MN0003', enterprise_id: 'ent-1', enterprise_name: '示例化工', state: 'ok', state_name: '正常', last_inspection_at: '2026-12-01T10:00:00+08:00', last_entry_id: 'me-2', due_at: '2026-12-15T10:00:00+08:00' },
    ], counts: {} },
  } : req.url.split('?')[0].endsWith('/maintenance/repairs') ? {
    status: 200,
    body: { items: [
      { obligation_id: 'fault:fr-1', enterprise_id: 'ent-1', enterprise_name: '示例化工', mn: 'MN0002', source: 'fault', title: '监控设备故障', opened_at: '2026-12-05T08:00:00+08:00', deadline: '2026-12-06T08:00:00+08:00', seconds_left: -3600 * 2 - 300, state: 'overdue', state_name: '已超时', repaired_at: null, entry_id: '' },
      { obligation_id: 'alarm:al-1', enterprise_id: 'ent-1', enterprise_name: '示例化工', mn: 'MN0001', source: 'alarm', title: '终端离线', opened_at: '2026-12-04T08:00:00+08:00', deadline: '2026-12-05T08:00:00+08:00', seconds_left: -86400, state: 'done', state_name: '已修复', repaired_at: '2026-12-04T12:00:00+08:00', entry_id: 'me-9' },
    ], counts: {} },
  } : req.url.split('?')[0].endsWith('/enterprises') ? {
    status: 200,
    body: { items: [enterpriseItem('ent-1', { install_status: 'surveyed', install_status_name: '已勘察' }), enterpriseItem('ent-2', { name: '长期停产厂', install_status: 'pending_survey', install_status_name: '待勘察', exempt: true })], next_cursor: null },
  } : ({
    status: 200,
    body: { since: '2026-11-29T10:00:00+08:00', items: [{ mn: 'MN7777', first_seen: '2026-12-05T08:00:00+08:00', last_seen: '2026-12-06T09:55:00+08:00', frames: 321, peer: '10.1.1.1:4000', hours_seen: 20 }] },
  });
});

test('unregistered MNs of the last 7 days are listed; scanning or typing an MN opens the terminal', async () => {
  const page = render(id);
  page.instance.onShow();
  await settle(40);
  expect(phone.sent[0].url).toMatch(/\/unregistered-terminals\?days=7$/);
  expect(text(page, '.mn')).toBe('MN7777');
  tap(page, '.scan');
  await settle();
  expect(phone.navigations).toEqual(['navigateTo /pages/installer/terminal/terminal?mn=MN-SCANNED-0001']);
  page.instance.onInput(field('mn', 'bad mn!'));
  tap(page, '.go');
  await settle();
  expect(text(page, '.err-mn')).toBe('请输入终端的 MN 编号（字母和数字）');
  expect(phone.navigations).toHaveLength(1);
});

test("the installer's enterprises show their installation progress; a tap opens the campaign steps", async () => {
  const page = render(id);
  page.instance.onShow();
  await settle(40);
  expect(page.querySelectorAll('.mine-status').map((n) => n.dom.textContent)).toEqual(['已勘察', '豁免']);
  tap(page, '.mine');
  await settle();
  expect(phone.navigations).toEqual(['navigateTo /pages/installer/campaign/campaign?enterprise_id=ent-1']);
});

test('the maintenance to-do: overdue repairs and inspections due, done ones left out; a tap opens the entry form', async () => {
  const page = render(id);
  page.instance.onShow();
  await settle(40);
  expect(text(page, '.repair')).toBe('维修：监控设备故障（MN0002，12-05 08:00 起，已超时 2小时05分）');
  expect(page.querySelectorAll('.repair')).toHaveLength(1);
  expect(text(page, '.inspection')).toBe('巡检：示例化工 · MN0001：已超期（11-15 10:00 前）');
  expect(page.querySelectorAll('.inspection')).toHaveLength(1);
  tap(page, '.repair');
  tap(page, '.inspection');
  await settle();
  expect(phone.navigations).toEqual([
    'navigateTo /pages/installer/maintenance/maintenance?enterprise_id=ent-1&mn=MN0002&obligation=fault%3Afr-1',
    'navigateTo /pages/installer/maintenance/maintenance?enterprise_id=ent-1&mn=MN0001&kind=inspection',
  ]);
});
