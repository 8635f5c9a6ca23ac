import { beforeEach, expect, test } from '@jest/globals';
import { field, loadPage, render, settle, tap, text } from '../support/page';
import { phone } from '../support/wx';
import { tokens } from '../support/api';

const id = loadPage('installer/home/home');

beforeEach(() => {
  phone.reset();
  phone.storage.set('session', tokens('installer'));
  phone.handler = (req) => req.url.split('?')[0].endsWith('/enterprises') ? {
    status: 200,
    body: { items: [{ enterprise_id: 'ent-1', name: '如皋示例化工有限公司', install_status: 'surveyed', install_status_name: '已勘察', exempt: false }, { enterprise_id: 'ent-2', name: '长期停产厂', install_status: 'pending_survey', install_status_name: '待勘察', exempt: true }], next_cursor: null },
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
