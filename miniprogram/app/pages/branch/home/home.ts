// 执法分局: alarms dispatched for verification, the nearest deadline first, with the distance when location is allowed.
import { distanceKm, distanceText, type LatLon } from '../../../lib/geo';
import { call, messageOf } from '../../../lib/http';
import { currentLocation } from '../../../lib/photos';
import { beijing, timeLeft } from '../../../lib/time';

interface AlarmOut {
  id: string;
  rule_name: string;
  enterprise_id: string;
  enterprise_name: string;
  investigation_due?: string | null;
  created_at: string;
}
interface Detail {
  terminals: Array<{ gps: { lat: number; lon: number } | null }>;
}

/** Sort by deadline, none last; stable for equal ones. */
export function byDeadline<T extends { investigation_due?: string | null }>(items: T[]): T[] {
  const key = (a: T) => (a.investigation_due ? Date.parse(a.investigation_due) : Number.POSITIVE_INFINITY);
  return [...items].sort((a, b) => key(a) - key(b));
}

Page({
  data: {
    error: '',
    located: false,
    alarms: [] as Array<{ id: string; rule: string; enterprise: string; created: string; left: string; urgent: boolean; distance: string }>,
  },
  onShow() {
    void this.refresh();
  },
  onPullDownRefresh() {
    void this.refresh().then(() => wx.stopPullDownRefresh());
  },
  async refresh() {
    try {
      const [page, here] = await Promise.all([
        call<{ items: AlarmOut[] }>('alarms', { query: { state: ['dispatched'], limit: 100 } }),
        currentLocation(),
      ]);
      const sorted = byDeadline(page.items);
      const places = here ? await this.places(sorted.map((a) => a.enterprise_id)) : {};
      const now = Date.now();
      this.setData({
        located: !!here,
        alarms: sorted.map((a) => {
          const left = timeLeft(a.investigation_due, now);
          const there = places[a.enterprise_id];
          return {
            id: a.id,
            rule: a.rule_name,
            enterprise: a.enterprise_name,
            created: beijing(a.created_at),
            left: left ? left.text : '',
            urgent: !!left?.urgent,
            distance: here && there ? distanceText(distanceKm({ lat: here.lat, lon: here.lon }, there)) : '',
          };
        }),
      });
    } catch (err) {
      this.setData({ error: messageOf(err) });
    }
  },
  /** Where each enterprise is: the GPS its terminals report (an enterprise without one shows no distance). */
  async places(enterpriseIds: string[]): Promise<Record<string, LatLon>> {
    const unique = [...new Set(enterpriseIds)].slice(0, 20);
    const details = await Promise.all(
      unique.map((id) => call<Detail>('enterprise', { path: { enterprise_id: id } }).catch(() => null)),
    );
    const out: Record<string, LatLon> = {};
    unique.forEach((id, i) => {
      const gps = details[i]?.terminals.find((t) => t.gps)?.gps;
      if (gps) out[id] = { lat: gps.lat, lon: gps.lon };
    });
    return out;
  },
  openChecks() {
    void wx.navigateTo({ url: '/pages/branch/checks/checks' });
  },
  open(e: { currentTarget: { dataset: { id: string } } }) {
    void wx.navigateTo({ url: `/pages/branch/verify/verify?id=${encodeURIComponent(e.currentTarget.dataset.id)}` });
  },
});
