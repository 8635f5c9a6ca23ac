// First time (or after the account was revoked): bind this WeChat to an account by invitation code or phone + SMS.
import { finishBinding, PHONE_PATTERN, savedTicket, signInWithWechat, SMS_CODE_PATTERN } from '../../lib/auth';
import { call, messageOf } from '../../lib/http';
import type { Tokens } from '../../lib/session';

type Field = 'invitation' | 'phone' | 'smsCode';

/** The code as the server keeps it: upper case, without the spaces and dashes it is printed or read out with. */
function invitationCode(typed: string): string {
  return typed.toUpperCase().replace(/[\s-]/g, '');
}

Page({
  data: {
    mode: 'invitation' as 'invitation' | 'phone',
    invitation: '',
    phone: '',
    smsCode: '',
    errors: {} as Partial<Record<Field, string>>,
    error: '',
    notice: '',
    resendIn: 0,
    busy: false,
  },
  timer: 0 as unknown as ReturnType<typeof setInterval>,
  onLoad(query: Record<string, string | undefined>) {
    if (query.reason === 'revoked') this.setData({ notice: '登录已失效或账号已停用，请重新绑定；如有疑问请联系管理员' });
  },
  onUnload() {
    clearInterval(this.timer);
  },
  onMode(e: { currentTarget: { dataset: { mode: 'invitation' | 'phone' } } }) {
    this.setData({ mode: e.currentTarget.dataset.mode, errors: {}, error: '' });
  },
  onInput(e: { detail: { value: string }; currentTarget: { dataset: { field: Field } } }) {
    const name = e.currentTarget.dataset.field;
    this.setData({ [name]: String(e.detail.value ?? '').trim(), [`errors.${name}`]: '' });
  },
  /** A valid ticket: the saved one, or a fresh one from wx.login (an already bound user goes home instead). */
  async ticket(): Promise<string | null> {
    const saved = savedTicket(Date.now());
    if (saved) return saved.ticket;
    const result = await signInWithWechat();
    if ('tokens' in result) {
      await this.goHome(result.tokens);
      return null;
    }
    return result.ticket.ticket;
  },
  async goHome(tokens: Tokens) {
    const home = finishBinding(tokens);
    if (home) await wx.reLaunch({ url: home });
    else this.setData({ error: `${tokens.account.role_name}请使用监管平台网页端` });
  },
  async sendCode() {
    if (!PHONE_PATTERN.test(this.data.phone)) {
      this.setData({ 'errors.phone': '请输入11位手机号' });
      return;
    }
    if (this.data.resendIn > 0) return;
    this.setData({ busy: true, error: '' });
    try {
      const ticket = await this.ticket();
      if (!ticket) return;
      const out = await call<{ resend_after: number }>('smsCode', { body: { binding_ticket: ticket, phone: this.data.phone } });
      this.countdown(out.resend_after || 60);
      wx.showToast({ title: '验证码已发送', icon: 'none' });
    } catch (err) {
      this.setData({ error: messageOf(err) });
    } finally {
      this.setData({ busy: false });
    }
  },
  countdown(seconds: number) {
    clearInterval(this.timer);
    this.setData({ resendIn: seconds });
    this.timer = setInterval(() => {
      const left = this.data.resendIn - 1;
      this.setData({ resendIn: Math.max(0, left) });
      if (left <= 0) clearInterval(this.timer);
    }, 1000);
  },
  validate(): boolean {
    const errors: Partial<Record<Field, string>> = {};
    if (this.data.mode === 'invitation') {
      if (!/^[A-Z0-9]{4,32}$/.test(invitationCode(this.data.invitation))) errors.invitation = '请输入管理员发给您的邀请码';
    } else {
      if (!PHONE_PATTERN.test(this.data.phone)) errors.phone = '请输入11位手机号';
      if (!SMS_CODE_PATTERN.test(this.data.smsCode)) errors.smsCode = '请输入6位短信验证码';
    }
    this.setData({ errors });
    return Object.keys(errors).length === 0;
  },
  async submit() {
    if (this.data.busy || !this.validate()) return;
    this.setData({ busy: true, error: '' });
    try {
      const ticket = await this.ticket();
      if (!ticket) return;
      const tokens =
        this.data.mode === 'invitation'
          ? await call<Tokens>('bindInvitation', {
              body: { binding_ticket: ticket, invitation_code: invitationCode(this.data.invitation) },
            })
          : await call<Tokens>('bindPhone', {
              body: { binding_ticket: ticket, phone: this.data.phone, sms_code: this.data.smsCode },
            });
      await this.goHome(tokens);
    } catch (err) {
      this.setData({ error: messageOf(err) });
    } finally {
      this.setData({ busy: false });
    }
  },
});
