// Start: sign in with WeChat, then the role's home; the first time, the binding page.
import { homeOf, signInWithWechat } from '../../lib/auth';
import { messageOf } from '../../lib/http';

Page({
  data: { loading: true, error: '', unsupported: '' },
  onLoad() {
    void this.start();
  },
  async start() {
    this.setData({ loading: true, error: '', unsupported: '' });
    try {
      const result = await signInWithWechat();
      if ('ticket' in result) {
        await wx.redirectTo({ url: '/pages/bind/bind' });
        return;
      }
      const home = homeOf(result.tokens.account);
      if (home) await wx.reLaunch({ url: home });
      else this.setData({ loading: false, unsupported: `${result.tokens.account.role_name}请使用监管平台网页端` });
    } catch (err) {
      this.setData({ loading: false, error: messageOf(err) });
    }
  },
});
