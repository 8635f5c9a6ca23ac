// Ask for alarm subscription messages (订阅消息) when it makes sense: after the first response, from a modal's tap
// (WeChat only shows the request from a tap), and again whenever the user taps the subscribe button.
import { SUBSCRIBE_TEMPLATE_IDS } from './config';

const ASKED_KEY = 'subscribe_asked';

export function requestAlarmSubscription(): void {
  if (!SUBSCRIBE_TEMPLATE_IDS.length) return;
  wx.requestSubscribeMessage({ tmplIds: SUBSCRIBE_TEMPLATE_IDS, success: () => undefined, fail: () => undefined });
}

/** After a successful response: once per phone, offer the subscription. */
export function offerSubscriptionOnce(): void {
  if (!SUBSCRIBE_TEMPLATE_IDS.length || wx.getStorageSync(ASKED_KEY)) return;
  wx.setStorageSync(ASKED_KEY, true);
  wx.showModal({
    title: '接收报警通知',
    content: '有新的报警时，通过微信通知您？',
    confirmText: '接收',
    cancelText: '暂不',
    success: (res) => {
      if (res.confirm) requestAlarmSubscription();
    },
  });
}
