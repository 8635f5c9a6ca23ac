// 运维记录: the installer's entries for an enterprise's terminal: an inspection (巡检) marks every item of the fixed
// checklist 正常/异常 (with optional meter readings seen on site, kept beside the platform's), a repair (维修) answers one open repair task (24 h) with its work and parts, anything else is
// 其他; each with text and ≤ 9 photos, a draft on the phone until the API has it; the log below, newest first.
import { clearDraft, loadDraft } from '../../../lib/drafts';
import { addPhotos, keepDraft, removePhoto } from '../../../lib/fieldform';
import { applyInput, type InputEvent } from '../../../lib/form';
import { call, messageOf } from '../../../lib/http';
import { MAINTENANCE_KINDS, REPAIR_PARTS } from '../../../lib/labels';
import { entryLine, repairLine, type EntryOut, type RepairOut } from '../../../lib/maintenance';
import { MAX_PHOTOS } from '../../../lib/photos';
import { beijingDay, fromPicker, isoBeijing } from '../../../lib/time';
import { forgetUploads, uploadPhotos } from '../../../lib/uploads';

const FIELDS = ['kind', 'marks', 'seen', 'obligation', 'parts', 'date', 'time', 'text', 'photos'] as const;
// what an installer can read off the meter on site, per point of the terminal
const SEEN = [
  { code: 'p', label: '有功功率（kW）' },
  { code: 'ep_fwd', label: '正向有功电能（kWh）' },
];
const TEXT_MAX = 1000;
const PAGE = 20;

function hhmm(ms: number): string {
  return isoBeijing(ms).slice(11, 16);
}

Page({
  data: {
    id: '', // the draft's key: enterprise and terminal
    enterpriseId: '',
    mn: '',
    kinds: MAINTENANCE_KINDS,
    kind: '',
    checklist: [] as Array<{ key: string; title: string; mark: string }>,
    marks: {} as Record<string, string>, // checklist key → 'ok' | 'bad'
    meters: [] as Array<{ key: string; pointId: string; code: string; label: string }>,
    seen: {} as Record<string, string>, // `${point_id} ${code}` → the value typed
    tasks: [] as Array<{ id: string; line: string; overdue: boolean }>,
    obligation: '',
    partChoices: [] as Array<{ name: string; chosen: boolean }>,
    parts: [] as string[],
    date: '',
    time: '',
    text: '',
    photos: [] as string[],
    maxPhotos: MAX_PHOTOS,
    errors: {} as Record<string, string>,
    error: '',
    busy: false,
    entries: [] as Array<{ id: string; head: string; detail: string; text: string; photos: string }>,
    cursor: '' as string | null,
  },
  onLoad(query: Record<string, string | undefined>) {
    const enterpriseId = query.enterprise_id ?? '';
    const mn = query.mn ?? '';
    const now = Date.now();
    this.setData({ enterpriseId, mn, id: `${enterpriseId}:${mn}` });
    const d = loadDraft<{ kind: string; marks: Record<string, string>; seen: Record<string, string>; obligation: string; parts: string[]; date: string; time: string; text: string; photos: string[] }>(this.draftKey());
    // a task or an inspection opened from the to-do list starts that kind (a draft of the same kind is kept)
    const wanted = query.obligation ? 'repair' : query.kind ?? '';
    const kind = wanted || d.kind || '';
    const same = !wanted || wanted === d.kind;
    this.setData({
      kind,
      marks: same ? d.marks ?? {} : {},
      seen: same ? d.seen ?? {} : {},
      obligation: query.obligation ?? (same ? d.obligation ?? '' : ''),
      parts: same ? d.parts ?? [] : [],
      date: d.date ?? beijingDay(now),
      time: d.time ?? hhmm(now),
      text: same ? d.text ?? '' : '',
      photos: d.photos ?? [],
    });
    this.showChoices();
    // the checklist first: the log names abnormal items by its titles
    void this.loadChecklist().then(() => Promise.all([this.loadMeters(), this.loadTasks(), this.loadLog()]));
  },
  draftKey() {
    return `maintenance:${this.data.id}`;
  },
  draftValue() {
    const { kind, marks, seen, obligation, parts, date, time, text, photos } = this.data;
    return { kind, marks, seen, obligation, parts, date, time, text, photos };
  },
  showChoices() {
    this.setData({
      checklist: this.data.checklist.map((c) => ({ ...c, mark: this.data.marks[c.key] ?? '' })),
      partChoices: REPAIR_PARTS.map((name) => ({ name, chosen: this.data.parts.includes(name) })),
    });
  },
  async loadChecklist() {
    try {
      const out = await call<{ items: Array<{ key: string; title: string }> }>('maintenanceChecklist');
      this.setData({ checklist: out.items.map((i) => ({ key: i.key, title: i.title, mark: '' })) });
      this.showChoices();
    } catch (err) {
      this.setData({ error: messageOf(err) });
    }
  },
  /** The terminal's points: each may get the readings seen on its meter. */
  async loadMeters() {
    if (!this.data.mn) return;
    try {
      const t = await call<{ points: Array<{ point_id: string; name: string }> }>('terminal', { path: { mn: this.data.mn } });
      this.setData({
        meters: t.points.flatMap((p) =>
          SEEN.map((q) => ({ key: `${p.point_id} ${q.code}`, pointId: p.point_id, code: q.code, label: `${p.name} ${q.label}` })),
        ),
      });
    } catch (err) {
      this.setData({ error: messageOf(err) });
    }
  },
  onSeen(e: { detail: { value: string }; currentTarget: { dataset: { key: string } } }) {
    const value = String(e.detail.value ?? '').trim();
    this.setData({ seen: { ...this.data.seen, [e.currentTarget.dataset.key]: value }, 'errors.seen': '' });
    keepDraft(this);
  },
  /** The readings typed, as the API takes them; null when one is not a number. */
  readings(): Array<{ point_id: string; code: string; value: number }> | null {
    const out: Array<{ point_id: string; code: string; value: number }> = [];
    for (const m of this.data.meters) {
      const raw = this.data.seen[m.key];
      if (!raw) continue;
      const value = Number(raw);
      if (!Number.isFinite(value)) return null;
      out.push({ point_id: m.pointId, code: m.code, value });
    }
    return out;
  },
  /** This terminal's open repair tasks (or the enterprise's, when opened without a terminal). */
  async loadTasks() {
    if (!this.data.enterpriseId) return;
    try {
      const out = await call<{ items: RepairOut[] }>('repairs', { query: { enterprise_id: this.data.enterpriseId } });
      const open = out.items.filter((r) => (r.state === 'open' || r.state === 'overdue') && (!this.data.mn || r.mn === this.data.mn));
      this.setData({ tasks: open.map((r) => ({ id: r.obligation_id, line: repairLine(r), overdue: r.state === 'overdue' })) });
    } catch (err) {
      this.setData({ error: messageOf(err) });
    }
  },
  async loadLog(more = false) {
    if (!this.data.enterpriseId) {
      this.setData({ error: '缺少企业：请从终端页进入' });
      return;
    }
    try {
      const query: Record<string, unknown> = { limit: PAGE };
      if (more && this.data.cursor) query.cursor = this.data.cursor;
      const page = await call<{ items: EntryOut[]; next_cursor: string | null }>('maintenanceLog', {
        path: { enterprise_id: this.data.enterpriseId },
        query,
      });
      const rows = page.items.map((e) => ({ id: e.entry_id, ...entryLine(e, Object.fromEntries(this.data.checklist.map((c) => [c.key, c.title]))) }));
      this.setData({ entries: more ? [...this.data.entries, ...rows] : rows, cursor: page.next_cursor });
    } catch (err) {
      this.setData({ error: messageOf(err) });
    }
  },
  more() {
    if (this.data.cursor) void this.loadLog(true);
  },
  onKind(e: { currentTarget: { dataset: { code: string } } }) {
    this.setData({ kind: e.currentTarget.dataset.code, errors: {} });
    keepDraft(this);
  },
  onMark(e: { currentTarget: { dataset: { key: string; mark: string } } }) {
    const { key, mark } = e.currentTarget.dataset;
    this.setData({ marks: { ...this.data.marks, [key]: mark }, 'errors.marks': '' });
    this.showChoices();
    keepDraft(this);
  },
  onTask(e: { currentTarget: { dataset: { id: string } } }) {
    this.setData({ obligation: e.currentTarget.dataset.id, 'errors.obligation': '' });
    keepDraft(this);
  },
  onPart(e: { currentTarget: { dataset: { name: string } } }) {
    const name = e.currentTarget.dataset.name;
    const parts = this.data.parts.includes(name) ? this.data.parts.filter((p) => p !== name) : [...this.data.parts, name];
    this.setData({ parts });
    this.showChoices();
    keepDraft(this);
  },
  onInput(e: InputEvent) {
    applyInput(this, this.draftKey(), FIELDS, e);
  },
  addPhotos() {
    return addPhotos(this);
  },
  removePhoto(e: { currentTarget: { dataset: { index: number } } }) {
    removePhoto(this, Number(e.currentTarget.dataset.index));
  },
  validate(now: number): number | null {
    const errors: Record<string, string> = {};
    const kind = this.data.kind;
    if (!MAINTENANCE_KINDS.some((k) => k.code === kind)) errors.kind = '请选择记录类型';
    const at = fromPicker(this.data.date, this.data.time);
    if (!Number.isFinite(at)) errors.at = '请选择作业时间';
    else if (at > now) errors.at = '作业时间不能晚于现在';
    if (kind === 'inspection') {
      if (!this.data.mn) errors.marks = '巡检须针对一台终端：请从终端页进入';
      const missing = this.data.checklist.filter((c) => !this.data.marks[c.key]);
      if (!this.data.checklist.length) errors.marks = '检查项未加载，请稍后重试';
      else if (missing.length) errors.marks = `请逐项检查：${missing.map((c) => c.title).join('、')} 未填`;
      if (this.readings() === null) errors.seen = '现场读数须为数字（不读可留空）';
    }
    if (kind === 'repair' && !this.data.tasks.some((t) => t.id === this.data.obligation)) errors.obligation = '请选择要处理的维修任务';
    if (kind !== 'inspection' && kind && !this.data.text.trim()) errors.text = kind === 'repair' ? '请填写维修内容' : '请填写作业内容';
    if (this.data.text.length > TEXT_MAX) errors.text = `说明不超过 ${TEXT_MAX} 字`;
    this.setData({ errors });
    return Object.keys(errors).length === 0 ? at : null;
  },
  async submit() {
    if (this.data.busy) return;
    const at = this.validate(Date.now());
    if (at === null) return;
    this.setData({ busy: true, error: '' });
    try {
      const { enterpriseId, mn, kind } = this.data;
      const photoIds = await uploadPhotos(this.data.photos, { enterpriseId, kind: 'site', subjectId: mn || undefined });
      const text = this.data.text.trim();
      const when = isoBeijing(at);
      if (kind === 'inspection') {
        const checklist = Object.fromEntries(this.data.checklist.map((c) => [c.key, this.data.marks[c.key] === 'ok']));
        await call('inspect', { path: { mn }, body: { at: when, checklist, readings: this.readings() ?? [], photo_ids: photoIds, text } });
      } else if (kind === 'repair') {
        await call('repair', { path: { obligation_id: this.data.obligation }, body: { at: when, text, parts: this.data.parts, photo_ids: photoIds } });
      } else {
        await call('addMaintenance', {
          path: { enterprise_id: enterpriseId },
          body: { kind, at: when, mn: mn || null, items: [], text, photo_ids: photoIds },
        });
      }
      clearDraft(this.draftKey());
      forgetUploads(this.data.photos);
      const now = Date.now();
      this.setData({ busy: false, kind: '', marks: {}, seen: {}, obligation: '', parts: [], text: '', photos: [], date: beijingDay(now), time: hhmm(now) });
      this.showChoices();
      wx.showToast({ title: '运维记录已保存', icon: 'success' });
      await Promise.all([this.loadTasks(), this.loadLog()]);
    } catch (err) {
      this.setData({ busy: false, error: messageOf(err) });
    }
  },
});
