import { beforeEach, expect, test } from '@jest/globals';
import { field, loadPage, render, settle, tap, text } from '../support/page';
import { phone, type Sent } from '../support/wx';
import { tokens } from '../support/api';

const id = loadPage('installer/bind-point/bind-point');
let bound: Sent[];
let known: boolean;

beforeEach(() => {
  phone.reset();
  phone.storage.set('session', tokens('installer'));
  bound = [];
  known = false;
  phone.handler = (req) => {
    if (req.method === 'POST') {
      bound.push(req);
      if ((req.data as { rebind: boolean }).rebind === false && known) {
        return { status: 409, body: { code: 'conflict', message: '该点位已绑定其他终端，如需改绑请打开“改绑”' } };
      }
      return { status: 200, body: { terminal: {}, point: { name: '1号线生产' }, created_terminal: !known, previous_mn: null, early_frames_decoded: 12 } };
    }
    return known
      ? { status: 200, body: { mn: 'MN0001', points: [{ point_code: 'P-001', version: 4 }] } }
      : { status: 404, body: { code: 'not_found', message: '对象不存在（或不在权限范围内）' } };
  };
});

async function open() {
  const page = render(id);
  page.instance.onLoad({ mn: 'MN0001' });
  await settle(40);
  return page;
}

test('a new terminal: channel and password checked, then bound with the point code as scanned', async () => {
  const page = await open();
  page.instance.onInput(field('channel', '0001x!'));
  page.instance.onInput(field('ctRatio', '-5'));
  tap(page, '.submit');
  await settle();
  expect([text(page, '.err-point'), text(page, '.err-channel'), text(page, '.err-ct'), text(page, '.err-password')]).toEqual([
    '请扫描或输入点位编码',
    '通道号为 1–8 位字母或数字',
    'CT 变比应为大于 0 的数（如 150）',
    '新终端须填写 1–6 位字母或数字的密码',
  ]);
  expect(bound).toEqual([]);
  tap(page, '.scan');
  await settle();
  page.instance.onInput(field('channel', '01'));
  page.instance.onInput(field('ctRatio', '150'));
  page.instance.onInput(field('password', 'pw1234'));
  tap(page, '.submit');
  await settle(40);
  expect(bound[0].url).toMatch(/\/terminals\/MN0001\/binding$/);
  expect(bound[0].data).toEqual({ point_code: 'MN-SCANNED-0001', point_version: 1, channel: '01', ct_ratio: 150, password: 'pw1234', rebind: false });
  expect(text(page, '.result')).toBe('已绑定到 1号线生产（新登记终端），已补录 12 帧早期数据');
  expect(phone.storage.has('draft:bind:MN0001')).toBe(false);
});

test("a known terminal: the bound point's version is sent; a conflict is shown, then rebind works", async () => {
  known = true;
  const page = await open();
  page.instance.onInput(field('pointCode', 'P-001'));
  page.instance.onInput(field('channel', '02'));
  tap(page, '.submit');
  await settle(40);
  expect(bound[0].data).toMatchObject({ point_code: 'P-001', point_version: 4, ct_ratio: null, password: null });
  expect(text(page, '.err-form')).toBe('该点位已绑定其他终端，如需改绑请打开“改绑”');
  page.instance.onRebind({ detail: { value: true } });
  tap(page, '.submit');
  await settle(40);
  expect(text(page, '.result')).toBe('已绑定到 1号线生产，已补录 12 帧早期数据');
});
