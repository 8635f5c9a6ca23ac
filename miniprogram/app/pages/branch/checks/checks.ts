// 双随机抽查: the checks assigned to me (one of the two inspectors), those to do first (逾期, then 待检查 by period end).
import { call, messageOf } from '../../../lib/http';

interface CheckOut {
  check_id: string;
  period: string;
  period_end: string;
  enterprise_name: string;
  inspectors: Array<{ account_id: string; display_name: string }>;
  status: 'pending' | 'done' | 'overdue' | 'void';
  status_name: string;
  record: null | { conclusion_name: string };
}

const ORDER = { overdue: 0, pending: 1, done: 2, void: 3 } as const;

/** To do first: 逾期, then 待检查 by the end of its period, then the done ones. */
export function toDoFirst<T extends { status: keyof typeof ORDER; period_end: string }>(items: T[]): T[] {
  return [...items].sort((a, b) => ORDER[a.status] - ORDER[b.status] || a.period_end.localeCompare(b.period_end));
}

Page({
  data: {
    error: '',
    loaded: false,
    checks: [] as Array<{ id: string; enterprise: string; period: string; due: string; status: string; statusName: string; with: string; conclusion: string }>,
  },
  onShow() {
    void this.refresh();
  },
  onPullDownRefresh() {
    void this.refresh().then(() => wx.stopPullDownRefresh());
  },
  async refresh() {
    try {
      const page = await call<{ items: CheckOut[] }>('randomChecks', { query: { mine: true, limit: 200 } });
      this.setData({
        loaded: true,
        error: '',
        checks: toDoFirst(page.items).map((c) => ({
          id: c.check_id,
          enterprise: c.enterprise_name,
          period: c.period,
          due: `${c.period_end} 前完成`,
          status: c.status,
          statusName: c.status_name,
          with: c.inspectors.map((p) => p.display_name).join('、'),
          conclusion: c.record ? c.record.conclusion_name : '',
        })),
      });
    } catch (err) {
      this.setData({ error: messageOf(err), loaded: true });
    }
  },
  open(e: { currentTarget: { dataset: { id: string } } }) {
    void wx.navigateTo({ url: `/pages/branch/inspect/inspect?id=${encodeURIComponent(e.currentTarget.dataset.id)}` });
  },
});
