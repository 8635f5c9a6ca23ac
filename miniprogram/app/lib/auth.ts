// WeChat sign-in and binding: wx.login's code → tokens (bound) or a 10-minute binding ticket (first time).
import { ApiFailure, call } from './http';
import { HOMES } from './labels';
import { saveSession, type Account, type Tokens } from './session';

const TICKET_KEY = 'binding_ticket';

interface WechatLoginOut {
  status: 'bound' | 'unbound';
  tokens?: Tokens | null;
  binding_ticket?: string | null;
  ticket_expires_at?: string | null;
}

export interface Ticket {
  ticket: string;
  expires_at: string;
}

function wxLoginCode(): Promise<string> {
  return new Promise((resolve, reject) => {
    wx.login({
      success: (res) => (res.code ? resolve(res.code) : reject(new ApiFailure(0, 'wechat_login', '微信登录失败，请重试'))),
      fail: () => reject(new ApiFailure(0, 'wechat_login', '微信登录失败，请检查网络后重试')),
    });
  });
}

/** The page a signed-in account starts on; null for roles that work on the bureau's web platform. */
export function homeOf(account: Account): string | null {
  return HOMES[account.role] ?? null;
}

/** Sign in with WeChat: tokens saved when bound, else the binding ticket saved and answered. */
export async function signInWithWechat(): Promise<{ tokens: Tokens } | { ticket: Ticket }> {
  const code = await wxLoginCode();
  const out = await call<WechatLoginOut>('wechatLogin', { body: { code } });
  if (out.status === 'bound' && out.tokens) {
    saveSession(out.tokens);
    return { tokens: out.tokens };
  }
  const ticket = { ticket: out.binding_ticket ?? '', expires_at: out.ticket_expires_at ?? '' };
  wx.setStorageSync(TICKET_KEY, ticket);
  return { ticket };
}

/** The saved binding ticket while it is still valid (a minute of margin). */
export function savedTicket(nowMs: number): Ticket | null {
  const t = wx.getStorageSync(TICKET_KEY) as Ticket | '';
  if (!t || !t.ticket) return null;
  const at = Date.parse(t.expires_at);
  return Number.isNaN(at) || at - nowMs < 60_000 ? null : t;
}

export function finishBinding(tokens: Tokens): string | null {
  saveSession(tokens);
  wx.removeStorageSync(TICKET_KEY);
  return homeOf(tokens.account);
}

export const PHONE_PATTERN = /^1[3-9]\d{9}$/;
export const SMS_CODE_PATTERN = /^\d{6}$/;
