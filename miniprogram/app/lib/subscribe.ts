// Ask for alarm subscription messages (订阅消息) when it makes sense: after the first response or verification, from a
// modal's tap (WeChat only shows the request from a tap), and again whenever the user taps the subscribe button.
// Each "accept" allows the platform one message of that template: the answers are reported to the API, which
// counts them and sends subscribe messages only while one remains.
import { SUBSCRIBE_TEMPLATE_IDS } from './config';
import { call } from './http';

const ASKED_KEY = 'subscribe_asked';
const ANSWERS = ['accept', 'reject', 'ban', 'filtered'];

/** The per-template answers of a wx.requestSubscribeMessage success (it also carries errMsg). */
export function subscriptionResults(res: Record<string, unknown>, asked: readonly string[]): Record<string, string> {
  const results: Record<string, string> = {};
  for (const id of asked) {
    const answer = res[id];
    if (typeof answer === 'string' && ANSWERS.includes(answer)) results[id] = answer;
  }
  return results;
}

export function requestAlarmSubscription(): void {
  if (!SUBSCRIBE_TEMPLATE_IDS.length) return;
  const asked = [...SUBSCRIBE_TEMPLATE_IDS];
  wx.requestSubscribeMessage({
    tmplIds: asked,
    success: (res: Record<string, unknown>) => {
      const results = subscriptionResults(res, asked);
      // best effort: a lost report only means fewer subscribe messages (SMS still goes out)
      if (Object.keys(results).length) call('notifySubscriptions', { body: { results } }).catch(() => undefined);
    },
    fail: () => undefined,
  });
}

/** After a successful response or verification: once per phone, offer the subscription. */
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
