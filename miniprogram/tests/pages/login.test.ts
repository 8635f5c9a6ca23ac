import { beforeEach, expect, test } from '@jest/globals';
import { loadPage, render, settle, tap, text } from '../support/page';
import { phone } from '../support/wx';
import { tokens } from '../support/api';

const id = loadPage('login/login');

beforeEach(() => phone.reset());

test('a bound enterprise account lands on its home, tokens kept on the phone', async () => {
  phone.handler = (req) => {
    expect(req.url).toMatch(/\/auth\/wechat$/);
    expect(req.data).toEqual({ code: phone.loginCode });
    return { status: 200, body: { status: 'bound', tokens: tokens('enterprise') } };
  };
  const page = render(id);
  page.instance.onLoad();
  await settle();
  expect(phone.navigations).toEqual(['reLaunch /pages/enterprise/home/home']);
  expect((phone.storage.get('session') as { access_token: string }).access_token).toBe('access-enterprise');
});

test('an unbound WeChat user goes to the binding page with the ticket saved', async () => {
  phone.handler = () => ({
    status: 200,
    body: { status: 'unbound', binding_ticket: 'tk-1', ticket_expires_at: '2099-01-01T00:00:00+08:00' },
  });
  const page = render(id);
  page.instance.onLoad();
  await settle();
  expect(phone.navigations).toEqual(['redirectTo /pages/bind/bind']);
  expect(phone.storage.get('binding_ticket')).toEqual({ ticket: 'tk-1', expires_at: '2099-01-01T00:00:00+08:00' });
});

test('a role without a phone home is told to use the web platform', async () => {
  phone.handler = () => ({ status: 200, body: { status: 'bound', tokens: tokens('admin') } });
  const page = render(id);
  page.instance.onLoad();
  await settle();
  expect(phone.navigations).toEqual([]);
  expect(text(page, '.unsupported')).toBe('管理员请使用监管平台网页端');
});

test('the API error is shown in Chinese with a retry button that works', async () => {
  phone.handler = () => ({ status: 401, body: { code: 'wechat_code_invalid', message: '微信登录凭证无效，请重试' } });
  const page = render(id);
  page.instance.onLoad();
  await settle();
  expect(text(page, '.error')).toBe('微信登录凭证无效，请重试');
  phone.handler = () => ({ status: 200, body: { status: 'bound', tokens: tokens('installer') } });
  tap(page, '.retry');
  await settle();
  expect(phone.navigations).toEqual(['reLaunch /pages/installer/home/home']);
});
