import { beforeEach, expect, test } from '@jest/globals';
import { field, loadPage, render, settle, tap, text } from '../support/page';
import { phone } from '../support/wx';
import { error, tokens } from '../support/api';

const id = loadPage('bind/bind');
const TICKET = { ticket: 'tk-1', expires_at: '2099-01-01T00:00:00+08:00' };

beforeEach(() => {
  phone.reset();
  phone.storage.set('binding_ticket', TICKET);
});

test('invitation code: refused before sending when empty, then bound and sent home', async () => {
  const page = render(id);
  page.instance.onLoad({});
  tap(page, '.submit');
  await settle();
  expect(text(page, '.err-invitation')).toBe('请输入管理员发给您的邀请码');
  expect(phone.sent).toEqual([]);
  phone.handler = (req) => {
    expect(req.url).toMatch(/\/auth\/wechat\/bind-invitation$/);
    expect(req.data).toEqual({ binding_ticket: 'tk-1', invitation_code: 'ABCD2345XY' });
    return { status: 200, body: tokens('branch') };
  };
  page.instance.onInput(field('invitation', ' abcd-2345 xy '));
  tap(page, '.submit');
  await settle();
  expect(phone.navigations).toEqual(['reLaunch /pages/branch/home/home']);
  expect(phone.storage.has('binding_ticket')).toBe(false);
});

test('phone + SMS: phone checked before a code is asked, the code is six digits, API errors shown', async () => {
  const page = render(id);
  page.instance.onLoad({});
  page.instance.onMode({ currentTarget: { dataset: { mode: 'phone' } } });
  page.instance.onInput(field('phone', '1234'));
  tap(page, '.send-code');
  await settle();
  expect(text(page, '.err-phone')).toBe('请输入11位手机号');
  expect(phone.sent).toEqual([]);
  phone.handler = () => ({ status: 202, body: { sent_to: '138****0000', expires_in: 300, resend_after: 60 } });
  page.instance.onInput(field('phone', '13800000000'));
  tap(page, '.send-code');
  await settle();
  expect(phone.sent[0].data).toEqual({ binding_ticket: 'tk-1', phone: '13800000000' });
  expect(page.instance.data.resendIn).toBe(60);
  page.instance.onInput(field('smsCode', '12'));
  tap(page, '.submit');
  await settle();
  expect(text(page, '.err-sms')).toBe('请输入6位短信验证码');
  phone.handler = () => ({ status: 401, body: error('sms_code_invalid', '验证码错误或已过期') });
  page.instance.onInput(field('smsCode', '123456'));
  tap(page, '.submit');
  await settle();
  expect(text(page, '.err-form')).toBe('验证码错误或已过期');
  page.instance.onUnload();
});

test('a revoked account arrives with a notice and gets a fresh ticket from wx.login', async () => {
  phone.storage.delete('binding_ticket');
  const page = render(id);
  page.instance.onLoad({ reason: 'revoked' });
  await settle();
  expect(page.instance.data.notice).toContain('重新绑定');
  phone.handler = (req) =>
    req.url.endsWith('/auth/wechat')
      ? { status: 200, body: { status: 'unbound', binding_ticket: 'tk-2', ticket_expires_at: '2099-01-01T00:00:00+08:00' } }
      : { status: 200, body: tokens('enterprise') };
  page.instance.onInput(field('invitation', 'INV-0001'));
  tap(page, '.submit');
  await settle();
  expect(phone.sent.map((r) => (r.data as Record<string, string>).binding_ticket)).toEqual([undefined, 'tk-2']);
  expect(phone.navigations).toEqual(['reLaunch /pages/enterprise/home/home']);
});
