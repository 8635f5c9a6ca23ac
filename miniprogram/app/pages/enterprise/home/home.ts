// 我的企业: status now, each line's production and control state, today's power chart, an emergency alert if any.
import { drawLine, type Ctx2d, type SeriesPoint } from '../../../lib/chart';
import { myEnterpriseId, lastState, type Segment } from '../../../lib/enterprise';
import { call, messageOf } from '../../../lib/http';
import { LEVELS } from '../../../lib/labels';
import { alertApplies } from '../../../lib/measures';
import { beijing, beijingDay, beijingMidnight, isoBeijing } from '../../../lib/time';

interface Point {
  point_id: string;
  name: string;
  role_name: string;
}
interface Detail {
  name: string;
  town_id: string;
  status: string;
  status_name: string;
  status_at?: string | null;
  points: Point[];
}
interface Timeline {
  lines: Array<{ association_id: string; name: string; production: Segment[]; control: Segment[] }>;
}
interface Series {
  rows: Array<{ at: string; values: Record<string, number | null> }>;
}
interface Alert {
  id: string;
  level: string;
  start: string;
  end: string;
  title: string;
  enterprise_ids: string[] | null;
  town_ids: string[] | null;
}

const CHART = { width: 340, height: 180, left: 36, right: 8, top: 12, bottom: 18 };

Page({
  data: {
    loading: true,
    error: '',
    name: '',
    status: '',
    statusName: '',
    statusAt: '',
    lines: [] as Array<{ id: string; name: string; production: string; control: string; controlState: string }>,
    points: [] as Point[],
    pointIndex: 0,
    alert: null as null | { id: string; levelName: string; level: string; window: string; title: string },
  },
  series: [] as SeriesPoint[],
  onLoad() {
    void this.refresh();
  },
  onPullDownRefresh() {
    void this.refresh().then(() => wx.stopPullDownRefresh());
  },
  async refresh() {
    const eid = myEnterpriseId();
    if (!eid) {
      this.setData({ loading: false, error: '此账号未关联企业，请联系管理员' });
      return;
    }
    this.setData({ loading: true, error: '' });
    try {
      const now = Date.now();
      const [detail, timeline, alerts] = await Promise.all([
        call<Detail>('enterprise', { path: { enterprise_id: eid } }),
        call<Timeline>('timeline', { path: { enterprise_id: eid }, query: { day: beijingDay(now) } }),
        call<{ items: Alert[] }>('emergencyAlerts', { query: { active: true, limit: 20 } }),
      ]);
      const alert = alerts.items.find((a) => alertApplies(a, eid, detail.town_id));
      this.setData({
        loading: false,
        name: detail.name,
        status: detail.status,
        statusName: detail.status_name,
        statusAt: beijing(detail.status_at),
        points: detail.points,
        lines: timeline.lines.map((l) => {
          const control = lastState(l.control);
          return { id: l.association_id, name: l.name, production: lastState(l.production).name, control: control.name, controlState: control.state };
        }),
        alert: alert
          ? { id: alert.id, level: alert.level, levelName: LEVELS[alert.level] ?? alert.level, title: alert.title, window: `${beijing(alert.start)} 至 ${beijing(alert.end)}` }
          : null,
      });
      await this.loadChart();
    } catch (err) {
      this.setData({ loading: false, error: messageOf(err) });
    }
  },
  async loadChart() {
    const point = this.data.points[this.data.pointIndex];
    if (!point) return;
    const now = Date.now();
    const start = beijingMidnight(now);
    const out = await call<Series>('pointSeries', {
      path: { point_id: point.point_id },
      query: { start: isoBeijing(start), end: isoBeijing(now), quantity: ['p'] },
    });
    this.series = out.rows.map((r) => ({ t: Date.parse(r.at), v: r.values.p ?? null }));
    this.draw(start);
  },
  draw(start: number) {
    const query = wx.createSelectorQuery();
    query
      .select('#power')
      .fields({ node: true, size: true })
      .exec((res: Array<{ node?: { getContext(kind: '2d'): Ctx2d; width: number; height: number } } | null>) => {
        const canvas = res[0]?.node;
        if (!canvas) return; // not rendered (page left, or a test without canvas)
        const ratio = wx.getWindowInfo().pixelRatio;
        canvas.width = CHART.width * ratio;
        canvas.height = CHART.height * ratio;
        const ctx = canvas.getContext('2d') as Ctx2d & { scale(x: number, y: number): void };
        ctx.scale(ratio, ratio);
        drawLine(ctx, this.series, start, start + 24 * 3600_000, CHART, 'kW');
      });
  },
  onPoint(e: { detail: { value: string } }) {
    this.setData({ pointIndex: Number(e.detail.value) });
    void this.loadChart().catch((err) => this.setData({ error: messageOf(err) }));
  },
  go(e: { currentTarget: { dataset: { url: string } } }) {
    void wx.navigateTo({ url: e.currentTarget.dataset.url });
  },
});
