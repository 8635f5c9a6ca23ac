import { beforeEach, expect, test } from '@jest/globals';
import { field, loadPage, render, settle, tap, text } from '../support/page';
import { phone, type Sent } from '../support/wx';
import { tokens, enterpriseDetail, enterpriseItem, terminalOut, boundPoint } from '../support/api';

const id = loadPage('installer/bind-point/bind-point');
let bound: Sent[];
let known: boolean;
let version: number;
let searched: string[];

const point = (code: string, name: string, v: number, mn: string | null = null) => ({
  point_id: `pt-${code}`, facility_id: 'f-1', point_code: code, name, role: 'production', role_name: '生产', mn,
  channel: mn ? '01' : '', ct_ratio: 1, pt_ratio: 1, status: 'active', status_name: '在用', version: v,
});

beforeEach(() => {
  phone.reset();
  phone.storage.set('session', tokens('installer'));
  bound = [];
  known = false;
  version = 3;
  searched = [];
  phone.handler = (req) => {
    const url = req.url.split('?')[0];
    if (req.method === 'POST') {
      bound.push(req);
      if ((req.data as { point_version: number }).point_version !== version) {
        return { status: 409, body: { code: 'conflict', message: '点位已被他人修改，请刷新后重试' } };
      }
      if ((req.data as { rebind: boolean }).rebind === false && known) {
        return { status: 409, body: { code: 'conflict', message: '该点位已绑定其他终端，如需改绑请打开“改绑”' } };
      }
      return { status: 200, body: { terminal: terminalOut(), point: boundPoint({ point_id: 'pt-P-001' }), created_terminal: !known, previous_mn: null, early_frames_decoded: 12 } };
    }
    if (url.endsWith('/enterprises')) {
      searched.push(req.url);
      return { status: 200, body: { items: [enterpriseItem('ent-1')], next_cursor: null } };
    }
    if (url.endsWith('/enterprises/ent-1')) {
      return { status: 200, body: enterpriseDetail('ent-1', { points: [point('P-001', '1号线生产', version, known ? 'MN0001' : null), point('P-002', '1号线治污', 1)] }) };
    }
    return known
      ? { status: 200, body: terminalOut('MN0001', { points: [boundPoint({ point_id: 'pt-P-001', version })] }) }
      : { status: 404, body: { code: 'not_found', message: '对象不存在（或不在权限范围内）' } };
  };
});

async function open() {
  const page = render(id);
  page.instance.onLoad({ mn: 'MN0001' });
  await settle(40);
  return page;
}

test("a new terminal: the installer's enterprises, channel and password checked, then the point's version is sent", async () => {
  const page = await open();
  expect(searched).toHaveLength(1); // the installer's own enterprises, straight away
  expect(text(page, '.found')).toBe('如皋示例化工有限公司 · 如城街道');
  page.instance.onInput(field('channel', '0001x!'));
  page.instance.onInput(field('ctRatio', '-5'));
  tap(page, '.submit');
  await settle();
  expect([text(page, '.err-enterprise'), text(page, '.err-point'), text(page, '.err-channel'), text(page, '.err-ct'), text(page, '.err-password')]).toEqual([
    '请先选择企业',
    '请扫描或输入点位编码',
    '通道号为 1–8 位字母或数字',
    'CT 变比应为大于 0 的数（如 150）',
    '新终端须填写 1–6 位字母或数字的密码',
  ]);
  expect(bound).toEqual([]);
  tap(page, '.found');
  await settle(40);
  expect(text(page, '.enterprise')).toBe('企业：如皋示例化工有限公司');
  expect(page.querySelectorAll('.point')).toHaveLength(2);
  tap(page, '.scan'); // a code the enterprise does not have
  await settle();
  page.instance.onInput(field('channel', '01'));
  page.instance.onInput(field('ctRatio', '150'));
  page.instance.onInput(field('password', 'pw1234'));
  tap(page, '.submit');
  await settle();
  expect(text(page, '.err-point')).toBe('如皋示例化工有限公司没有这个点位编码，请核对或更换企业');
  expect(bound).toEqual([]);
  tap(page, '.point');
  tap(page, '.submit');
  await settle(40);
  expect(bound[0].url).toMatch(/\/terminals\/MN0001\/binding$/);
  expect(bound[0].data).toEqual({ point_code: 'P-001', point_version: 3, channel: '01', ct_ratio: 150, password: 'pw1234', rebind: false });
  expect(text(page, '.result')).toBe('已绑定到 1号线生产（新登记终端），已补录 12 帧早期数据');
  expect(phone.storage.has('draft:bind:MN0001')).toBe(false);
});

test("a known terminal: its enterprise's points; a stale version is a conflict, the fresh one goes next; then rebind", async () => {
  known = true;
  const page = await open();
  expect(searched).toHaveLength(0);
  expect(text(page, '.point')).toBe('1号线生产（P-001）：已绑 MN0001 通道 01');
  page.instance.onInput(field('pointCode', 'P-001'));
  page.instance.onInput(field('channel', '02'));
  version = 4; // someone saved the point since the page loaded
  tap(page, '.submit');
  await settle(40);
  expect(bound[0].data).toMatchObject({ point_code: 'P-001', point_version: 3, ct_ratio: null, password: null });
  expect(text(page, '.err-form')).toBe('点位已被他人修改，请刷新后重试');
  tap(page, '.submit');
  await settle(40);
  expect(bound[1].data).toMatchObject({ point_version: 4 });
  expect(text(page, '.err-form')).toBe('该点位已绑定其他终端，如需改绑请打开“改绑”');
  page.instance.onRebind({ detail: { value: true } });
  tap(page, '.submit');
  await settle(40);
  expect(text(page, '.result')).toBe('已绑定到 1号线生产，已补录 12 帧早期数据');
});

test('the draft keeps the chosen enterprise: a reopened page goes straight to its points', async () => {
  const page = await open();
  tap(page, '.found');
  await settle(40);
  page.instance.onInput(field('channel', '03'));
  const again = await open();
  expect(searched).toHaveLength(1); // not searched again
  expect(again.instance.data).toMatchObject({ enterpriseId: 'ent-1', channel: '03' });
  expect(again.querySelectorAll('.point')).toHaveLength(2);
});
