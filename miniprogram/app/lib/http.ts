// wx.request wrapped once: tokens and their quiet refresh, retry with back-off, errors in Chinese, revoked → binding.
import { API_BASE_URL } from './config';
import { ROUTES, fillPath, queryString, type Route, type RouteName } from './routes';
import { clearSession, expiresSoon, loadSession, saveSession, type Tokens } from './session';

export class ApiFailure extends Error {
  constructor(
    readonly status: number, // 0: no answer (network)
    readonly code: string,
    message: string,
    readonly field: string | null = null,
  ) {
    super(message);
  }
}

/** The failure after which the user was sent to the binding page (once: not to be handled again). */
export class SessionEnded extends ApiFailure {}

export const OFFLINE_MESSAGE = '网络不可用，请检查网络连接后重试（已填写的内容已保存在手机上）';
export const NETWORK_MESSAGE = '网络不稳定，请稍后重试（已填写的内容已保存在手机上）';
// Sign-in answers after which the session cannot continue: the account must bind (again).
const REVOKED = new Set(['account_disabled', 'refresh_reused', 'refresh_invalid', 'refresh_expired', 'token_invalid']);
export const BIND_PAGE = '/pages/bind/bind';

/** Back-off between attempts (ms); replaced in tests so they do not wait. */
export const backoff = {
  delays: [500, 1500, 4000],
  sleep: (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms)),
};

interface Raw {
  statusCode: number;
  data: unknown;
  header: Record<string, string>;
}

/** The names in a path template: '/alarms/{alarm_id}/respond' → 'alarm_id'. */
type PathNames<P extends string> = P extends `${string}{${infer Name}}${infer Rest}` ? Name | PathNames<Rest> : never;
type Keys<R, F extends 'query' | 'body'> = R extends { [K in F]: readonly (infer Key extends string)[] } ? Key : never;

/**
 * What a call of one route may carry, from its entry in ROUTES: its path parameters (all of them), query keys and
 * body fields by name, so tsc refuses a key the table (and so the contract test) does not know.
 */
export type CallOptions<N extends RouteName> = ([PathNames<(typeof ROUTES)[N]['path']>] extends [never]
  ? { path?: undefined }
  : { path: Record<PathNames<(typeof ROUTES)[N]['path']>, string> }) & {
  query?: [Keys<(typeof ROUTES)[N], 'query'>] extends [never] ? undefined : { [K in Keys<(typeof ROUTES)[N], 'query'>]?: unknown };
  body?: [Keys<(typeof ROUTES)[N], 'body'>] extends [never] ? undefined : { [K in Keys<(typeof ROUTES)[N], 'body'>]?: unknown };
};

/** call()'s arguments: a route's name and its options (optional when it has no path parameters). */
export type CallArgs = {
  [N in RouteName]: [PathNames<(typeof ROUTES)[N]['path']>] extends [never] ? [name: N, options?: CallOptions<N>] : [name: N, options: CallOptions<N>];
}[RouteName];

function rawRequest(route: Route, url: string, body: unknown, token: string | null): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const header: Record<string, string> = { 'X-Client-Channel': 'miniprogram' };
    if (token) header.Authorization = `Bearer ${token}`;
    wx.request({
      url,
      method: route.method,
      data: body as WechatMiniprogram.IAnyObject | undefined,
      header,
      timeout: 15_000,
      success: (res) =>
        resolve({ statusCode: res.statusCode, data: res.data, header: res.header as Record<string, string> }),
      fail: (err) => reject(err),
    });
  });
}

function isOffline(): Promise<boolean> {
  return new Promise((resolve) => {
    wx.getNetworkType({
      success: (res) => resolve(res.networkType === 'none'),
      fail: () => resolve(false),
    });
  });
}

/** The API's `{code, message, field}` as an ApiFailure; a body without them still gets a Chinese message. */
export function failureOf(status: number, data: unknown): ApiFailure {
  const body = (data && typeof data === 'object' ? data : {}) as { code?: unknown; message?: unknown; field?: unknown };
  const code = typeof body.code === 'string' ? body.code : `http_${status}`;
  const message = typeof body.message === 'string' && body.message ? body.message : `服务器异常（${status}），请稍后重试`;
  return new ApiFailure(status, code, message, typeof body.field === 'string' ? body.field : null);
}

/**
 * Try, and try again after the back-off while `again` answers a wait (ms, at least the back-off's); null: done.
 * The one retry loop of the mini-program: requests here, photo uploads in uploads.ts.
 */
export async function withBackoff<T>(attempt: () => Promise<T>, again: (value: T | undefined, error: unknown) => number | null): Promise<T> {
  for (let i = 0; ; i++) {
    let value: T | undefined;
    let error: unknown = null;
    let failed = false;
    try {
      value = await attempt();
    } catch (err) {
      failed = true;
      error = err;
    }
    const wait = i < backoff.delays.length ? again(failed ? undefined : value, error) : null;
    if (wait === null) {
      if (failed) throw error;
      return value as T;
    }
    await backoff.sleep(Math.max(wait, backoff.delays[i]));
  }
}

/** 429/503: the server did nothing; its Retry-After (seconds) is honoured up to 10 s. */
function retryAfterMs(header: Record<string, string>): number {
  const seconds = Number(header['Retry-After'] ?? header['retry-after']);
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds * 1000, 10_000) : 0;
}

/** One HTTP exchange with retries: GETs on network errors, every method on 429/503. */
async function exchange(route: Route, url: string, body: unknown, token: string | null): Promise<Raw> {
  try {
    return await withBackoff(
      () => rawRequest(route, url, body, token),
      (raw) => {
        if (!raw) return route.method === 'GET' ? 0 : null; // a POST may have arrived: never sent twice
        return raw.statusCode === 429 || raw.statusCode === 503 ? retryAfterMs(raw.header) : null;
      },
    );
  } catch {
    throw new ApiFailure(0, 'network', (await isOffline()) ? OFFLINE_MESSAGE : NETWORK_MESSAGE);
  }
}

let refreshing: Promise<Tokens> | null = null;

/** Rotate the refresh token once for every caller waiting on it (the API revokes a family on reuse). */
function refreshTokens(tokens: Tokens): Promise<Tokens> {
  refreshing ??= (async () => {
    try {
      const raw = await exchange(ROUTES.refresh, API_BASE_URL + ROUTES.refresh.path, {
        refresh_token: tokens.refresh_token,
      }, null);
      if (raw.statusCode !== 200) throw failureOf(raw.statusCode, raw.data);
      const fresh = raw.data as Tokens;
      saveSession(fresh);
      return fresh;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** The session is over (account disabled, tokens refused): drop it, land on the binding page; the error to show. */
export function revoked(failure: ApiFailure): ApiFailure {
  clearSession();
  void wx.reLaunch({ url: `${BIND_PAGE}?reason=revoked` });
  return new SessionEnded(401, failure.code, '登录已失效或账号已停用，请重新绑定', failure.field);
}

/** Call one route of the table; answers the parsed body (null for 204) or throws ApiFailure. */
export async function call<T>(...[name, given]: CallArgs): Promise<T> {
  const route: Route = ROUTES[name];
  const options = (given ?? {}) as { path?: Record<string, string>; query?: Record<string, unknown>; body?: Record<string, unknown> };
  const url = API_BASE_URL + fillPath(route.path, options.path ?? {}) + queryString(options.query);
  let tokens = route.auth === false ? null : loadSession();
  if (route.auth !== false && !tokens) throw revoked(new ApiFailure(401, 'unauthenticated', ''));
  try {
    if (tokens && expiresSoon(tokens, Date.now())) tokens = await refreshTokens(tokens);
    let raw = await exchange(route, url, options.body, tokens?.access_token ?? null);
    if (raw.statusCode === 401 && tokens && failureOf(401, raw.data).code === 'token_expired') {
      tokens = await refreshTokens(tokens);
      raw = await exchange(route, url, options.body, tokens.access_token);
    }
    if (raw.statusCode >= 200 && raw.statusCode < 300) return (raw.statusCode === 204 ? null : raw.data) as T;
    throw failureOf(raw.statusCode, raw.data);
  } catch (err) {
    if (tokens && endsSession(err)) throw revoked(err as ApiFailure);
    throw err;
  }
}

/** A 401 after which the session cannot continue (wx.request and wx.uploadFile answers alike). */
export function endsSession(err: unknown): boolean {
  if (!(err instanceof ApiFailure) || err instanceof SessionEnded || err.status !== 401) return false;
  return REVOKED.has(err.code) || err.code === 'unauthenticated';
}

/** The message to show for any error thrown by a call. */
export function messageOf(err: unknown): string {
  if (err instanceof ApiFailure) return err.message;
  return '操作失败，请稍后重试';
}

/** A valid access token for calls made outside wx.request (wx.uploadFile); refreshes quietly when due. */
export async function freshAccessToken(): Promise<string> {
  let tokens = loadSession();
  if (!tokens) throw revoked(new ApiFailure(401, 'unauthenticated', ''));
  try {
    if (expiresSoon(tokens, Date.now())) tokens = await refreshTokens(tokens);
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 401) throw revoked(err);
    throw err;
  }
  return tokens.access_token;
}
