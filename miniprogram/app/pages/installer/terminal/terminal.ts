// One terminal: online and its last frames, commands (read now, interval, time, password) with their status,
// the commissioning checklist judged from the newest reading, installation photos.
import { allPass, commissioningChecks, type Check } from '../../../lib/checklist';
import { ApiFailure, call, messageOf } from '../../../lib/http';
import { choosePhotos } from '../../../lib/photos';
import { MINUTE_INTERVALS, OPEN_COMMAND_STATES, PASSWORD_PATTERN } from '../../../lib/terminal';
import { beijing } from '../../../lib/time';
import { uploadPhotos, forgetUploads } from '../../../lib/uploads';

interface BoundPoint {
  point_id: string;
  point_code: string;
  name: string;
  channel: string;
  ct_ratio: number;
  version: number;
}
interface TerminalOut {
  mn: string;
  enterprise_id: string | null;
  enterprise_name: string | null;
  online: boolean;
  last_frame_at: string | null;
  gps: { lat: number; lon: number; at: string } | null;
  minute_interval_min: number | null;
  realtime_interval_s: number | null;
  password_change_pending: boolean;
  points: BoundPoint[];
}
interface Latest {
  readings: Array<{ kind: string; data_time: string; values: Record<string, number | null> }>;
  quantities: Record<string, { unit: string; name: string }>;
}
interface CommandOut {
  command_id: string;
  kind_name: string;
  state: string;
  state_name: string;
  status_name: string;
  detail: string;
  created_at: string;
}

const POLL_MS = 5000;
const SHOWN = ['ua', 'ub', 'uc', 'ia', 'ib', 'ic', 'p', 'pf'];

Page({
  data: {
    mn: '',
    loading: true,
    missing: false,
    error: '',
    terminal: null as null | { online: boolean; lastFrame: string; enterprise: string; interval: string; pendingPassword: boolean },
    points: [] as Array<{ id: string; label: string; reading: string; values: Array<{ name: string; value: string }> }>,
    checks: [] as Check[],
    ready: false,
    commands: [] as Array<{ id: string; kind: string; state: string; stateName: string; detail: string; at: string }>,
    intervals: MINUTE_INTERVALS,
    intervalIndex: 0,
    password: '',
    errors: {} as Record<string, string>,
    photos: [] as string[],
    busy: false,
  },
  enterpriseId: '',
  timer: 0 as unknown as ReturnType<typeof setTimeout>,
  onLoad(query: Record<string, string | undefined>) {
    this.setData({ mn: query.mn ?? '' });
    void this.refresh();
  },
  onUnload() {
    clearTimeout(this.timer);
  },
  async refresh() {
    try {
      const t = await call<TerminalOut>('terminal', { path: { mn: this.data.mn } });
      this.enterpriseId = t.enterprise_id ?? '';
      const latest = await Promise.all(t.points.map((p) => call<Latest>('pointLatest', { path: { point_id: p.point_id } })));
      const points = t.points.map((p, i) => {
        const reading = latest[i].readings.find((r) => r.kind === 'realtime') ?? latest[i].readings[0];
        const q = latest[i].quantities;
        return {
          id: p.point_id,
          label: `${p.name}（${p.point_code}，通道 ${p.channel}，CT ${p.ct_ratio}）`,
          reading: reading ? beijing(reading.data_time) : '无数据',
          values: reading
            ? SHOWN.filter((k) => typeof reading.values[k] === 'number').map((k) => ({
                name: q[k]?.name ?? k,
                value: `${reading.values[k]} ${q[k]?.unit ?? ''}`.trim(),
              }))
            : [],
          raw: reading?.values ?? null,
        };
      });
      const checks = commissioningChecks(points[0]?.raw ?? null, t.gps);
      this.setData({
        loading: false,
        missing: false,
        terminal: {
          online: t.online,
          lastFrame: beijing(t.last_frame_at),
          enterprise: t.enterprise_name ?? '未绑定企业',
          interval: t.minute_interval_min ? `${t.minute_interval_min} 分钟` : '未知',
          pendingPassword: t.password_change_pending,
        },
        points: points.map(({ raw: _raw, ...rest }) => rest),
        checks,
        ready: allPass(checks),
      });
      await this.loadCommands();
    } catch (err) {
      if (err instanceof ApiFailure && err.status === 404) this.setData({ loading: false, missing: true });
      else this.setData({ loading: false, error: messageOf(err) });
    }
  },
  async loadCommands() {
    const page = await call<{ items: CommandOut[] }>('commands', { path: { mn: this.data.mn }, query: { limit: 10 } });
    this.setData({
      commands: page.items.map((c) => ({
        id: c.command_id,
        kind: c.kind_name,
        state: c.state,
        stateName: c.state_name,
        detail: c.detail,
        at: beijing(c.created_at),
      })),
    });
    clearTimeout(this.timer);
    if (page.items.some((c) => OPEN_COMMAND_STATES.has(c.state))) {
      this.timer = setTimeout(() => void this.loadCommands().catch(() => undefined), POLL_MS);
    }
  },
  async send(kind: string, args: Record<string, unknown> = {}) {
    if (this.data.busy) return;
    this.setData({ busy: true, error: '' });
    try {
      await call('sendCommand', { path: { mn: this.data.mn }, body: { kind, args, ttl_minutes: 60 } });
      wx.showToast({ title: '指令已下发，等待终端执行', icon: 'none' });
      await this.loadCommands();
    } catch (err) {
      this.setData({ error: messageOf(err) });
    } finally {
      this.setData({ busy: false });
    }
  },
  readNow() {
    void this.send('read_realtime');
  },
  setTime() {
    void this.send('set_time');
  },
  onInterval(e: { detail: { value: string } }) {
    this.setData({ intervalIndex: Number(e.detail.value) });
  },
  setInterval() {
    void this.send('set_minute_interval', { minutes: MINUTE_INTERVALS[this.data.intervalIndex] });
  },
  onPassword(e: { detail: { value: string } }) {
    this.setData({ password: String(e.detail.value ?? ''), 'errors.password': '' });
  },
  setPassword() {
    if (!PASSWORD_PATTERN.test(this.data.password)) {
      this.setData({ 'errors.password': '新密码为 1–6 位字母或数字' });
      return;
    }
    void this.send('set_password', { new_password: this.data.password });
    this.setData({ password: '' });
  },
  bindPoint() {
    void wx.navigateTo({ url: `/pages/installer/bind-point/bind-point?mn=${encodeURIComponent(this.data.mn)}` });
  },
  async addPhotos() {
    if (!this.enterpriseId) {
      this.setData({ error: '终端绑定企业后才能上传安装照片' });
      return;
    }
    const chosen = await choosePhotos(0);
    if (!chosen.length) return;
    this.setData({ busy: true, error: '' });
    try {
      await uploadPhotos(chosen, { enterpriseId: this.enterpriseId, kind: 'installation', subjectId: this.data.mn });
      forgetUploads(chosen);
      this.setData({ photos: [...this.data.photos, ...chosen] });
      wx.showToast({ title: '照片已上传', icon: 'success' });
    } catch (err) {
      this.setData({ error: messageOf(err) });
    } finally {
      this.setData({ busy: false });
    }
  },
});
