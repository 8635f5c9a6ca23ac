// 报警: this enterprise's alarms, the time left to respond (2 h) first; the countdown ticks while shown.
import { byTimeLeft, responseLeft, TICK_MS, answerable } from '../../../lib/alarm';
import { myEnterpriseId } from '../../../lib/enterprise';
import { call, messageOf } from '../../../lib/http';
import { requestAlarmSubscription } from '../../../lib/subscribe';
import { beijing } from '../../../lib/time';

interface AlarmOut {
  id: string;
  rule_name: string;
  state: string;
  state_name: string;
  created_at: string;
  response_due?: string | null;
}

function row(a: AlarmOut, now: number) {
  const left = responseLeft(a, now);
  return {
    id: a.id,
    rule: a.rule_name,
    state: a.state,
    stateName: a.state_name,
    created: beijing(a.created_at),
    left: left ? left.text : '',
    urgent: left ? left.urgent : false,
    canRespond: answerable(a),
  };
}

Page({
  data: {
    loading: true,
    error: '',
    alarms: [] as Array<{ id: string; rule: string; state: string; stateName: string; created: string; left: string; urgent: boolean; canRespond: boolean }>,
  },
  items: [] as AlarmOut[],
  ticker: 0 as unknown as ReturnType<typeof setInterval>,
  onShow() {
    clearInterval(this.ticker);
    this.ticker = setInterval(() => this.draw(), TICK_MS);
    void this.refresh();
  },
  onHide() {
    clearInterval(this.ticker);
  },
  onUnload() {
    clearInterval(this.ticker);
  },
  draw() {
    const now = Date.now();
    this.setData({ alarms: (this.items ?? []).map((a) => row(a, now)) }); // items: unset before the first load
  },
  onPullDownRefresh() {
    void this.refresh().then(() => wx.stopPullDownRefresh());
  },
  async refresh() {
    this.setData({ loading: true, error: '' });
    try {
      const eid = myEnterpriseId();
      const page = await call<{ items: AlarmOut[] }>('alarms', { query: { enterprise_id: eid ? [eid] : undefined, limit: 50 } });
      this.items = byTimeLeft(page.items);
      this.setData({ loading: false });
      this.draw();
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
