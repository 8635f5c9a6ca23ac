// 执法分局: alarms dispatched for verification, the nearest deadline first, with the distance when location is allowed.
import { TICK_MS } from '../../../lib/alarm';
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

const PLACES_AT_ONCE = 6; // enterprise look-ups in flight at a time

interface Row {
  id: string;
  rule: string;
  enterprise: string;
  enterpriseId: string;
  created: string;
  due: string | null;
}

Page({
  data: {
    error: '',
    located: false,
    alarms: [] as Array<{ id: string; rule: string; enterprise: string; created: string; left: string; urgent: boolean; distance: string }>,
  },
  rows: [] as Row[],
  here: null as LatLon | null,
  places: {} as Record<string, LatLon | null>, // enterprise → its terminals' GPS (null: none), kept while the page lives
  ticker: 0 as unknown as ReturnType<typeof setInterval>,
  asked: false, // the phone's location asked already (on the first show)
  onShow() {
    clearInterval(this.ticker);
    this.ticker = setInterval(() => this.draw(), TICK_MS);
    void this.refresh(!this.asked); // back from a verification: the list again, the phone's place as it was
  },
  onHide() {
    clearInterval(this.ticker);
  },
  onUnload() {
    clearInterval(this.ticker);
  },
  onPullDownRefresh() {
    void this.refresh(true).then(() => wx.stopPullDownRefresh());
  },
  /** The list; the phone's location is asked on the first show and on pull-down only, not on every return. */
  async refresh(locate: boolean) {
    try {
      const [page, here] = await Promise.all([
        call<{ items: AlarmOut[] }>('alarms', { query: { state: ['dispatched'], limit: 100 } }),
        locate ? currentLocation() : Promise.resolve(this.here ?? null),
      ]);
      this.here = here ? { lat: here.lat, lon: here.lon } : null;
      if (locate) this.asked = true;
      this.rows = byDeadline(page.items).map((a) => ({
        id: a.id,
        rule: a.rule_name,
        enterprise: a.enterprise_name,
        enterpriseId: a.enterprise_id,
        created: beijing(a.created_at),
        due: a.investigation_due ?? null,
      }));
      if (this.here) await this.findPlaces(this.rows.map((r) => r.enterpriseId));
      this.setData({ error: '', located: !!this.here });
      this.draw();
    } catch (err) {
      this.setData({ error: messageOf(err) });
    }
  },
  /** The time left ticks; the distance to each enterprise with a GPS fix. */
  draw() {
    const now = Date.now();
    const here = this.here;
    const places = this.places ?? {};
    this.setData({
      alarms: (this.rows ?? []).map((r) => {
        const left = timeLeft(r.due, now);
        const there = places[r.enterpriseId];
        return {
          id: r.id,
          rule: r.rule,
          enterprise: r.enterprise,
          created: r.created,
          left: left ? left.text : '',
          urgent: !!left?.urgent,
          distance: here && there ? distanceText(distanceKm(here, there)) : '',
        };
      }),
    });
  },
  /** Where each enterprise is: the GPS its terminals report (none: no distance); each looked up once, all of them. */
  async findPlaces(enterpriseIds: string[]) {
    this.places ??= {};
    const missing = [...new Set(enterpriseIds)].filter((id) => !(id in this.places));
    for (let i = 0; i < missing.length; i += PLACES_AT_ONCE) {
      const batch = missing.slice(i, i + PLACES_AT_ONCE);
      const details = await Promise.all(
        batch.map((id) => call<Detail>('enterprise', { path: { enterprise_id: id } }).catch(() => null)),
      );
      batch.forEach((id, j) => {
        const gps = details[j]?.terminals.find((t) => t.gps)?.gps;
        if (details[j]) this.places[id] = gps ? { lat: gps.lat, lon: gps.lon } : null; // a failed look-up: next time
      });
    }
  },
  openChecks() {
    void wx.navigateTo({ url: '/pages/branch/checks/checks' });
  },
  open(e: { currentTarget: { dataset: { id: string } } }) {
    void wx.navigateTo({ url: `/pages/branch/verify/verify?id=${encodeURIComponent(e.currentTarget.dataset.id)}` });
  },
});
