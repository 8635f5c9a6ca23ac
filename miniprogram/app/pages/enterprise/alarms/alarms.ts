// 报警: this enterprise's alarms, the time left to respond (2 h) first.
import { myEnterpriseId } from '../../../lib/enterprise';
import { call, messageOf } from '../../../lib/http';
import { requestAlarmSubscription } from '../../../lib/subscribe';
import { beijing, timeLeft } from '../../../lib/time';

interface AlarmOut {
  id: string;
  rule_name: string;
  state: string;
  state_name: string;
  created_at: string;
  response_due?: string | null;
}

Page({
  data: {
    loading: true,
    error: '',
    alarms: [] as Array<{ id: string; rule: string; state: string; stateName: string; created: string; left: string; urgent: boolean; canRespond: boolean }>,
  },
  onShow() {
    void this.refresh();
  },
  onPullDownRefresh() {
    void this.refresh().then(() => wx.stopPullDownRefresh());
  },
  async refresh() {
    this.setData({ loading: true, error: '' });
    try {
      const eid = myEnterpriseId();
      const page = await call<{ items: AlarmOut[] }>('alarms', { query: { enterprise_id: eid ? [eid] : undefined, limit: 50 } });
      const now = Date.now();
      this.setData({
        loading: false,
        alarms: page.items.map((a) => {
          const left = a.state === 'pending' ? timeLeft(a.response_due, now) : null;
          return {
            id: a.id,
            rule: a.rule_name,
            state: a.state,
            stateName: a.state_name,
            created: beijing(a.created_at),
            left: left ? left.text : '',
            urgent: left ? left.urgent : false,
            canRespond: a.state === 'pending',
          };
        }),
      });
    } catch (err) {
      this.setData({ loading: false, error: messageOf(err) });
    }
  },
  open(e: { currentTarget: { dataset: { id: string } } }) {
    void wx.navigateTo({ url: `/pages/enterprise/respond/respond?id=${encodeURIComponent(e.currentTarget.dataset.id)}` });
  },
  subscribe() {
    requestAlarmSubscription();
  },
});
