import { beforeEach, expect, test } from '@jest/globals';
import { backoff, call, ApiFailure } from '../../app/lib/http';
import { phone } from '../support/wx';
import { alarm, tokens, me, terminalOut } from '../support/api';

const waits: number[] = [];

beforeEach(() => {
  phone.reset();
  waits.length = 0;
  backoff.sleep = async (ms: number) => {
    waits.push(ms);
  };
  phone.storage.set('session', tokens('enterprise'));
});

async function failure(p: Promise<unknown>): Promise<ApiFailure> {
  try {
    await p;
  } catch (err) {
    return err as ApiFailure;
  }
  throw new Error('expected a failure');
}

test('a call carries the token and the channel; path values are encoded; arrays repeat in the query', async () => {
  phone.handler = (req) => ({ status: 200, body: req.url.includes('/alarms') ? { items: [], next_cursor: null } : terminalOut('A/B C') });
  await call('alarms', { query: { state: ['pending', 'dispatched'], enterprise_id: undefined, limit: 50 } });
  await call('terminal', { path: { mn: 'A/B C' } });
  expect(phone.sent[0].url).toBe('http://127.0.0.1:8000/api/v1/alarms?state=pending&state=dispatched&limit=50');
  expect(phone.sent[0].header).toEqual({ Authorization: 'Bearer access-enterprise', 'X-Client-Channel': 'miniprogram' });
  expect(phone.sent[1].url).toBe('http://127.0.0.1:8000/api/v1/terminals/A%2FB%20C');
});

test('an access token about to expire is refreshed quietly first, once for concurrent calls', async () => {
  phone.storage.set('session', tokens('enterprise', Date.now() + 10_000));
  phone.handler = (req) =>
    req.url.endsWith('/auth/refresh')
      ? { status: 200, body: { ...tokens('enterprise'), access_token: 'access-2', refresh_token: 'refresh-2' } }
      : { status: 200, body: me('enterprise') };
  await Promise.all([call('me'), call('me')]);
  expect(phone.sent.filter((r) => r.url.endsWith('/auth/refresh'))).toHaveLength(1);
  expect(phone.sent[0].data).toEqual({ refresh_token: 'refresh-enterprise' });
  expect(phone.sent.slice(1).map((r) => r.header.Authorization)).toEqual(['Bearer access-2', 'Bearer access-2']);
  expect((phone.storage.get('session') as { refresh_token: string }).refresh_token).toBe('refresh-2');
});

test('token_expired from the server: refresh and repeat the call', async () => {
  let first = true;
  phone.handler = (req) => {
    if (req.url.endsWith('/auth/refresh')) return { status: 200, body: { ...tokens('enterprise'), access_token: 'access-2' } };
    if (first) {
      first = false;
      return { status: 401, body: { code: 'token_expired', message: '登录已过期' } };
    }
    return { status: 200, body: me('enterprise') };
  };
  expect(await call('me')).toEqual(me('enterprise'));
  expect(phone.sent.map((r) => r.header.Authorization ?? 'none')).toEqual(['Bearer access-enterprise', 'none', 'Bearer access-2']);
});

test('a revoked account (disabled, or a reused refresh token) is sent to the binding page, session gone', async () => {
  phone.handler = () => ({ status: 401, body: { code: 'account_disabled', message: '账号已停用' } });
  const err = await failure(call('me'));
  expect(err.message).toBe('登录已失效或账号已停用，请重新绑定');
  expect(phone.navigations).toEqual(['reLaunch /pages/bind/bind?reason=revoked']);
  expect(phone.storage.has('session')).toBe(false);

  phone.reset();
  phone.storage.set('session', tokens('enterprise', Date.now() + 1000));
  phone.handler = () => ({ status: 401, body: { code: 'refresh_reused', message: '登录凭证已被使用' } });
  await failure(call('me'));
  expect(phone.navigations).toEqual(['reLaunch /pages/bind/bind?reason=revoked']);
});

test('GETs retry with back-off on a dropped network, then say so in Chinese; offline is named as such', async () => {
  let n = 0;
  phone.handler = () => (++n < 3 ? { status: 0, fail: true } : { status: 200, body: me('enterprise') });
  expect(await call('me')).toEqual(me('enterprise'));
  expect(waits).toEqual([500, 1500]);
  phone.handler = () => ({ status: 0, fail: true });
  waits.length = 0;
  const err = await failure(call('me'));
  expect(waits).toEqual([500, 1500, 4000]);
  expect(err.code).toBe('network');
  expect(err.message).toContain('网络不稳定');
  phone.network = 'none';
  expect((await failure(call('me'))).message).toContain('网络不可用');
});

test('a POST is not repeated after a dropped connection (it may have arrived), but is after 503 with Retry-After', async () => {
  phone.handler = () => ({ status: 0, fail: true });
  await failure(call('respond', { path: { alarm_id: 'a1' }, body: { version: 1, cause: 'other' } }));
  expect(phone.sent).toHaveLength(1);
  let n = 0;
  phone.handler = () =>
    ++n === 1
      ? { status: 503, body: { code: 'unavailable', message: '服务暂时不可用' }, header: { 'Retry-After': '3' } }
      : { status: 200, body: alarm('a1', { state: 'responded', state_name: '企业已响应' }) };
  waits.length = 0;
  expect(await call('respond', { path: { alarm_id: 'a1' }, body: { version: 1, cause: 'other' } })).toMatchObject({ id: 'a1', state: 'responded' });
  expect(waits).toEqual([3000]);
});

test("the API's {code, message, field} becomes the error; a body without them still reads in Chinese", async () => {
  phone.handler = () => ({ status: 409, body: { code: 'conflict', message: '报警已被他人处理，请刷新', field: 'version' } });
  const err = await failure(call('me'));
  expect([err.status, err.code, err.message, err.field]).toEqual([409, 'conflict', '报警已被他人处理，请刷新', 'version']);
  phone.handler = () => ({ status: 502, body: '<html>bad gateway</html>', offContract: true }); // a proxy's page
  expect((await failure(call('me'))).message).toBe('服务器异常（502），请稍后重试');
});
