// 运维记录: the installer's inspection (巡检) and repair (维修) entries for an enterprise's terminal, with the items
// checked, the work time, text and ≤ 9 photos; a draft on the phone until the API has it; the log below, newest first.
import { clearDraft, loadDraft } from '../../../lib/drafts';
import { addPhotos, keepDraft, removePhoto } from '../../../lib/fieldform';
import { applyInput, type InputEvent } from '../../../lib/form';
import { call, messageOf } from '../../../lib/http';
import { MAINTENANCE_ITEMS, MAINTENANCE_KINDS } from '../../../lib/labels';
import { MAX_PHOTOS } from '../../../lib/photos';
import { beijing, beijingDay, fromPicker, isoBeijing } from '../../../lib/time';
import { forgetUploads, uploadPhotos } from '../../../lib/uploads';

interface EntryOut {
  entry_id: string;
  kind: string;
  kind_name: string;
  at: string;
  by: string;
  mn: string;
  items: string[];
  text: string;
  photo_ids: string[];
  passed: boolean | null;
}

const FIELDS = ['kind', 'items', 'date', 'time', 'text', 'photos'] as const;
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
    choices: [] as Array<{ name: string; chosen: boolean }>,
    items: [] as string[],
    date: '',
    time: '',
    text: '',
    photos: [] as string[],
    maxPhotos: MAX_PHOTOS,
    errors: {} as Record<string, string>,
    error: '',
    busy: false,
    entries: [] as Array<{ id: string; head: string; items: string; text: string; photos: string }>,
    cursor: '' as string | null,
  },
  onLoad(query: Record<string, string | undefined>) {
    const enterpriseId = query.enterprise_id ?? '';
    const mn = query.mn ?? '';
    const now = Date.now();
    this.setData({ enterpriseId, mn, id: `${enterpriseId}:${mn}` });
    const d = loadDraft<{ kind: string; items: string[]; date: string; time: string; text: string; photos: string[] }>(this.draftKey());
    this.setData({
      kind: d.kind ?? '',
      items: d.items ?? [],
      date: d.date ?? beijingDay(now),
      time: d.time ?? hhmm(now),
      text: d.text ?? '',
      photos: d.photos ?? [],
    });
    this.showChoices();
    void this.loadLog();
  },
  draftKey() {
    return `maintenance:${this.data.id}`;
  },
  draftValue() {
    const { kind, items, date, time, text, photos } = this.data;
    return { kind, items, date, time, text, photos };
  },
  showChoices() {
    const names = MAINTENANCE_ITEMS[this.data.kind] ?? [];
    this.setData({ choices: names.map((name) => ({ name, chosen: this.data.items.includes(name) })) });
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
      const rows = page.items.map((e) => ({
        id: e.entry_id,
        head: `${e.kind_name}${e.passed === null ? '' : e.passed ? '（通过）' : '（未通过）'} ${beijing(e.at)}${e.mn ? ` · ${e.mn}` : ''}`,
        items: e.items.join('、'),
        text: e.text,
        photos: e.photo_ids.length ? `照片 ${e.photo_ids.length} 张` : '',
      }));
      this.setData({ entries: more ? [...this.data.entries, ...rows] : rows, cursor: page.next_cursor });
    } catch (err) {
      this.setData({ error: messageOf(err) });
    }
  },
  more() {
    if (this.data.cursor) void this.loadLog(true);
  },
  onKind(e: { currentTarget: { dataset: { code: string } } }) {
    const kind = e.currentTarget.dataset.code;
    // items of another kind make no sense in this entry
    const allowed = MAINTENANCE_ITEMS[kind] ?? [];
    this.setData({ kind, items: this.data.items.filter((i) => allowed.includes(i)), 'errors.kind': '' });
    this.showChoices();
    keepDraft(this);
  },
  onItem(e: { currentTarget: { dataset: { name: string } } }) {
    const name = e.currentTarget.dataset.name;
    const items = this.data.items.includes(name) ? this.data.items.filter((i) => i !== name) : [...this.data.items, name];
    this.setData({ items, 'errors.items': '' });
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
    if (!MAINTENANCE_KINDS.some((k) => k.code === this.data.kind)) errors.kind = '请选择记录类型';
    const at = fromPicker(this.data.date, this.data.time);
    if (!Number.isFinite(at)) errors.at = '请选择作业时间';
    else if (at > now) errors.at = '作业时间不能晚于现在';
    if (this.data.kind === 'inspection' && !this.data.items.length) errors.items = '请勾选检查项目';
    if (this.data.kind !== 'inspection' && !this.data.text.trim()) errors.text = '请填写维修或作业内容';
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
      const { enterpriseId, mn } = this.data;
      const photoIds = await uploadPhotos(this.data.photos, { enterpriseId, kind: 'site', subjectId: mn || undefined });
      await call('addMaintenance', {
        path: { enterprise_id: enterpriseId },
        body: { kind: this.data.kind, at: isoBeijing(at), mn: mn || null, items: this.data.items, text: this.data.text.trim(), photo_ids: photoIds },
      });
      clearDraft(this.draftKey());
      forgetUploads(this.data.photos);
      const now = Date.now();
      this.setData({ busy: false, kind: '', items: [], text: '', photos: [], date: beijingDay(now), time: hhmm(now) });
      this.showChoices();
      wx.showToast({ title: '运维记录已保存', icon: 'success' });
      await this.loadLog();
    } catch (err) {
      this.setData({ busy: false, error: messageOf(err) });
    }
  },
});
