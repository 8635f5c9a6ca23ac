// One terminal: online and its last frames, commands (read now, interval, time, password) with their status,
// installation photos, and commissioning: the platform judges the checks from the newest data and records them.
import { clearDraft, loadDraft, saveDraft } from '../../../lib/drafts';
import { commissioningView, type CommissioningOut, type CommissioningView, type EntryOut } from '../../../lib/commissioning';
import { ApiFailure, call, messageOf } from '../../../lib/http';
import { choosePhotos } from '../../../lib/photos';
import { FAILED_COMMAND_STATES, MINUTE_INTERVALS, OPEN_COMMAND_STATES, PASSWORD_PATTERN } from '../../../lib/terminal';
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
  kind: string | null;
  kind_name: string;
  state: string;
  state_name: string;
  status_name: string;
  detail: string;
  created_at: string;
}

interface CommissionDraft {
  note: string;
  photos: string[];
  photoIds: string[];
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
    commissioning: null as CommissioningView | null,
    note: '',
    commands: [] as Array<{ id: string; kind: string; state: string; stateName: string; detail: string; at: string }>,
    intervals: MINUTE_INTERVALS,
    intervalIndex: 0,
    password: '',
    errors: {} as Record<string, string>,
    photos: [] as string[],
    photoIds: [] as string[], // installation photos uploaded here, cited by the next commissioning
    pointIndex: 0,
    busy: false,
  },
  enterpriseId: '',
  timer: 0 as unknown as ReturnType<typeof setTimeout>,
  bound: [] as BoundPoint[],
  watching: new Set<string>(), // read-now commands still open at the last look: their values are awaited
  onLoad(query: Record<string, string | undefined>) {
    const mn = query.mn ?? '';
    const d = loadDraft<CommissionDraft>(`commission:${mn}`);
    this.setData({ mn, note: d.note ?? '', photos: d.photos ?? [], photoIds: d.photoIds ?? [] });
  },
  /** The commissioning form (note, the installation photos uploaded for it) stays on the phone until recorded. */
  keepDraft() {
    saveDraft<CommissionDraft>(`commission:${this.data.mn}`, { note: this.data.note, photos: this.data.photos, photoIds: this.data.photoIds });
  },
  onShow() {
    void this.refresh(); // also after binding a point on the next page
  },
  onPullDownRefresh() {
    void this.refresh().then(() => wx.stopPullDownRefresh());
  },
  onUnload() {
    clearTimeout(this.timer);
  },
  async refresh() {
    try {
      const t = await call<TerminalOut>('terminal', { path: { mn: this.data.mn } });
      this.enterpriseId = t.enterprise_id ?? '';
      this.bound = t.points;
      this.setData({
        loading: false,
        missing: false,
        error: '',
        terminal: {
          online: t.online,
          lastFrame: beijing(t.last_frame_at),
          enterprise: t.enterprise_name ?? '未绑定企业',
          interval: t.minute_interval_min ? `${t.minute_interval_min} 分钟` : '未知',
          pendingPassword: t.password_change_pending,
        },
      });
      await Promise.all([this.loadValues(), this.loadCommands(), this.loadCommissioning()]);
    } catch (err) {
      if (err instanceof ApiFailure && err.status === 404) this.setData({ loading: false, missing: true });
      else this.setData({ loading: false, error: messageOf(err) });
    }
  },
  /** Each bound point's newest values (the real-time reading when there is one). */
  async loadValues() {
    const bound = this.bound ?? [];
    const latest = await Promise.all(bound.map((p) => call<Latest>('pointLatest', { path: { point_id: p.point_id } })));
    const points = bound.map((p, i) => {
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
      };
    });
    this.setData({ points });
  },
  async loadCommissioning() {
    try {
      const entry = await call<EntryOut>('lastCommissioning', { path: { mn: this.data.mn } });
      this.setData({ commissioning: commissioningView(entry) });
    } catch (err) {
      if (!(err instanceof ApiFailure && err.status === 404)) throw err; // 404: never commissioned
      this.setData({ commissioning: null });
    }
  },
  onPoint(e: { detail: { value: string } }) {
    this.setData({ pointIndex: Number(e.detail.value) });
  },
  onNote(e: { detail: { value: string } }) {
    this.setData({ note: String(e.detail.value ?? ''), 'errors.note': '' });
    this.keepDraft();
  },
  async commission() {
    if (this.data.busy) return;
    if (this.data.note.length > 1000) {
      this.setData({ 'errors.note': '说明不超过 1000 字' });
      return;
    }
    const point = this.data.points[this.data.pointIndex];
    this.setData({ busy: true, error: '' });
    try {
      const out = await call<CommissioningOut>('commission', {
        path: { mn: this.data.mn },
        body: { point_id: point?.id ?? null, text: this.data.note.trim(), photo_ids: this.data.photoIds },
      });
      clearDraft(`commission:${this.data.mn}`);
      this.setData({ commissioning: commissioningView(out.entry, out), note: '', photos: [], photoIds: [] });
      wx.showToast({ title: out.entry.passed ? '调试通过' : '调试未通过', icon: out.entry.passed ? 'success' : 'none' });
    } catch (err) {
      this.setData({ error: messageOf(err) });
    } finally {
      this.setData({ busy: false });
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
        detail: FAILED_COMMAND_STATES.has(c.state) ? c.detail : '',
        at: beijing(c.created_at),
      })),
    });
    // A read-now the terminal has answered: its values are stored now, show them.
    const watching = this.watching ?? new Set<string>();
    const answered = page.items.some((c) => c.kind === 'read_realtime' && c.state === 'done' && watching.has(c.command_id));
    this.watching = new Set(page.items.filter((c) => c.kind === 'read_realtime' && OPEN_COMMAND_STATES.has(c.state)).map((c) => c.command_id));
    clearTimeout(this.timer);
    if (page.items.some((c) => OPEN_COMMAND_STATES.has(c.state))) {
      this.timer = setTimeout(() => void this.loadCommands().catch(() => undefined), POLL_MS);
    }
    if (answered) await this.loadValues();
  },
  async send(kind: string, args: Record<string, unknown> = {}) {
    if (this.data.busy) return;
    this.setData({ busy: true, error: '' });
    try {
      const sent = await call<CommandOut>('sendCommand', { path: { mn: this.data.mn }, body: { kind, args, ttl_minutes: 60 } });
      if (kind === 'read_realtime') this.watching = new Set([...(this.watching ?? []), sent.command_id]);
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
  openMaintenance() {
    if (!this.enterpriseId) {
      this.setData({ error: '终端绑定企业后才能记运维记录' });
      return;
    }
    const q = `enterprise_id=${encodeURIComponent(this.enterpriseId)}&mn=${encodeURIComponent(this.data.mn)}`;
    void wx.navigateTo({ url: `/pages/installer/maintenance/maintenance?${q}` });
  },
  openCampaign() {
    if (this.enterpriseId) {
      void wx.navigateTo({ url: `/pages/installer/campaign/campaign?enterprise_id=${encodeURIComponent(this.enterpriseId)}` });
    }
  },
  async addPhotos() {
    if (!this.enterpriseId) {
      this.setData({ error: '终端绑定企业后才能上传安装照片' });
      return;
    }
    const chosen = await choosePhotos(this.data.photos.length);
    if (!chosen.length) return;
    this.setData({ busy: true, error: '' });
    try {
      const ids = await uploadPhotos(chosen, { enterpriseId: this.enterpriseId, kind: 'installation', subjectId: this.data.mn });
      forgetUploads(chosen);
      // at most 9 in all (choosePhotos leaves room for the rest only): the commissioning record cites 9
      this.setData({ photos: [...this.data.photos, ...chosen], photoIds: [...this.data.photoIds, ...ids] });
      this.keepDraft();
      wx.showToast({ title: '照片已上传', icon: 'success' });
    } catch (err) {
      this.setData({ error: messageOf(err) });
    } finally {
      this.setData({ busy: false });
    }
  },
});
