// The signed-in session kept on the phone (wx storage): tokens and the account they belong to.
export interface Account {
  id: string;
  display_name: string;
  role: string;
  role_name: string;
  enterprise_ids: string[];
  terminal_mns: string[];
  branch_id: string | null;
}

export interface Tokens {
  access_token: string;
  refresh_token: string;
  expires_at: string; // +08:00
  account: Account;
}

const KEY = 'session';

export function loadSession(): Tokens | null {
  const value = wx.getStorageSync(KEY) as Tokens | '';
  return value && value.access_token ? value : null;
}

export function saveSession(tokens: Tokens): void {
  wx.setStorageSync(KEY, tokens);
}

export function clearSession(): void {
  wx.removeStorageSync(KEY);
}

/** True when the access token has less than `marginMs` left (refresh before it runs out, not after). */
export function expiresSoon(tokens: Tokens, nowMs: number, marginMs = 60_000): boolean {
  const at = Date.parse(tokens.expires_at);
  return Number.isNaN(at) || at - nowMs < marginMs;
}
