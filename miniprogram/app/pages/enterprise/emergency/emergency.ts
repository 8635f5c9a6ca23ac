// 应急管控: the alert's level, its time, and this enterprise's measures for that level.
import { myEnterpriseId } from '../../../lib/enterprise';
import { call, messageOf } from '../../../lib/http';
import { LEVELS } from '../../../lib/labels';
import { alertApplies, measureWords, type Measures } from '../../../lib/measures';
import { beijing } from '../../../lib/time';

interface Alert {
  id: string;
  level: string;
  start: string;
  end: string;
  title: string;
  enterprise_ids: string[] | null;
  town_ids: string[] | null;
}
Page({
  data: { error: '', alerts: [] as Array<{ id: string; level: string; levelName: string; title: string; window: string; measures: string[] }> },
  onLoad() {
    void this.refresh();
  },
  async refresh() {
    const eid = myEnterpriseId();
    if (!eid) {
      this.setData({ error: '此账号未关联企业，请联系管理员' });
      return;
    }
    try {
      const [alerts, measures, ent] = await Promise.all([
        call<{ items: Alert[] }>('emergencyAlerts', { query: { active: true, limit: 20 } }),
        call<Measures>('measures', { path: { enterprise_id: eid } }),
        call<{ town_id: string; points: Array<{ point_id: string; name: string }> }>('enterprise', { path: { enterprise_id: eid } }),
      ]);
      const names = Object.fromEntries(ent.points.map((p) => [p.point_id, p.name]));
      this.setData({
        alerts: alerts.items.filter((a) => alertApplies(a, eid, ent.town_id)).map((a) => ({
          id: a.id,
          level: a.level,
          levelName: LEVELS[a.level] ?? a.level,
          title: a.title,
          window: `${beijing(a.start)} 至 ${beijing(a.end)}`,
          measures: measureWords(measures[a.level as 'yellow' | 'orange' | 'red'], names),
        })),
      });
    } catch (err) {
      this.setData({ error: messageOf(err) });
    }
  },
});
