// 记录抽查: conclusion, the five check items (管理办法 第九条) each 正常 or 问题, text, photos and the enterprise's
// alarms looked at; a draft on the phone until sent; recorded once.
import { clearDraft, loadDraft, saveDraft } from '../../../lib/drafts';
import { applyInput, type InputEvent } from '../../../lib/form';
import { call, messageOf } from '../../../lib/http';
import { choosePhotos } from '../../../lib/photos';
import { beijing } from '../../../lib/time';
import { forgetUploads, MAX_PHOTOS, uploadPhotos } from '../../../lib/uploads';

interface CheckOut {
  check_id: string;
  enterprise_id: string;
  enterprise_name: string;
  period: string;
  period_end: string;
  status: string;
  status_name: string;
  inspectors: Array<{ display_name: string }>;
  record: null | { conclusion_name: string; text: string; inspected_at: string };
}
interface AlarmOut {
  id: string;
  rule_name: string;
  created_at: string;
}

export const CONCLUSIONS = [
  { key: 'compliant', name: '合规' },
  { key: 'issues', name: '存在问题' },
  { key: 'not_operating', name: '停产/未生产' },
  { key: 'unable', name: '无法检查' },
];
export const ITEMS = [
  { key: 'construction', name: '现场端建设规范化情况' },
  { key: 'changes', name: '用电工况监控变更情况' },
  { key: 'operation', name: '用电工况监控运行状况' },
  { key: 'maintenance_records', name: '运行、维护、检修记录' },
  { key: 'correlation', name: '生产工况、治理设施运行与监控数据的相关性' },
];
const FIELDS = ['conclusion', 'problems', 'text', 'photos', 'alarmIds'] as const;

interface Draft {
  conclusion: string;
  problems: string[];
  text: string;
  photos: string[];
  alarmIds: string[];
}

Page({
  data: {
    id: '',
    error: '',
    check: null as null | { enterprise: string; period: string; due: string; status: string; with: string },
    recorded: '',
    conclusions: CONCLUSIONS,
    items: ITEMS.map((i) => ({ ...i, problem: false })),
    conclusion: '',
    problems: [] as string[], // item keys marked 问题; the others are 正常
    text: '',
    photos: [] as string[],
    alarms: [] as Array<{ id: string; rule: string; created: string; chosen: boolean }>,
    alarmIds: [] as string[],
    errors: {} as Record<string, string>,
    busy: false,
    sent: false,
  },
  detail: null as CheckOut | null,
  onLoad(query: Record<string, string | undefined>) {
    const id = query.id ?? '';
    const d = loadDraft<Partial<Draft>>(`inspect:${id}`);
    this.setData({ id, conclusion: d.conclusion ?? '', problems: d.problems ?? [], text: d.text ?? '',
      photos: d.photos ?? [], alarmIds: d.alarmIds ?? [] });
    void this.load();
  },
  async load() {
    try {
      const c = await call<CheckOut>('randomCheck', { path: { check_id: this.data.id } });
      this.detail = c;
      const alarms = await call<{ items: AlarmOut[] }>('alarms', { query: { enterprise_id: c.enterprise_id, limit: 20 } });
      this.setData({
        check: { enterprise: c.enterprise_name, period: c.period, due: `${c.period_end} 前完成`, status: c.status_name,
          with: c.inspectors.map((p) => p.display_name).join('、') },
        recorded: c.record ? `${c.record.conclusion_name}（${beijing(c.record.inspected_at)}）${c.record.text}` : '',
        alarms: alarms.items.map((a) => ({ id: a.id, rule: a.rule_name, created: beijing(a.created_at), chosen: false })),
      });
      this.marks();
    } catch (err) {
      this.setData({ error: messageOf(err) });
    }
  },
  /** What the lists show as chosen, from the problems and alarm ids (the template compares nothing itself). */
  marks() {
    this.setData({
      items: ITEMS.map((i) => ({ ...i, problem: this.data.problems.includes(i.key) })),
      alarms: this.data.alarms.map((a) => ({ ...a, chosen: this.data.alarmIds.includes(a.id) })),
    });
  },
  keep() {
    this.marks();
    const d: Draft = { conclusion: this.data.conclusion, problems: this.data.problems, text: this.data.text,
      photos: this.data.photos, alarmIds: this.data.alarmIds };
    saveDraft(`inspect:${this.data.id}`, d);
  },
  onInput(e: InputEvent) {
    applyInput(this, `inspect:${this.data.id}`, FIELDS, e);
  },
  onConclusion(e: { currentTarget: { dataset: { key: string } } }) {
    this.setData({ conclusion: e.currentTarget.dataset.key, 'errors.conclusion': '' });
    this.keep();
  },
  onItem(e: { currentTarget: { dataset: { key: string } } }) {
    const key = e.currentTarget.dataset.key;
    const problems = this.data.problems.includes(key) ? this.data.problems.filter((k) => k !== key) : [...this.data.problems, key];
    this.setData({ problems, 'errors.conclusion': '' });
    this.keep();
  },
  onAlarm(e: { currentTarget: { dataset: { id: string } } }) {
    const id = e.currentTarget.dataset.id;
    const alarmIds = this.data.alarmIds.includes(id) ? this.data.alarmIds.filter((a) => a !== id) : [...this.data.alarmIds, id];
    this.setData({ alarmIds });
    this.keep();
  },
  async addPhotos() {
    const chosen = await choosePhotos(this.data.photos.length);
    this.setData({ photos: [...this.data.photos, ...chosen].slice(0, MAX_PHOTOS) });
    this.keep();
  },
  validate(): boolean {
    const errors: Record<string, string> = {};
    if (!CONCLUSIONS.some((c) => c.key === this.data.conclusion)) errors.conclusion = '请选择检查结论';
    else if (this.data.conclusion === 'issues' && !this.data.problems.length && !this.data.text.trim()) {
      errors.conclusion = '存在问题时，请标出有问题的项目或写明情况';
    }
    if (this.data.text.length > 2000) errors.text = '不超过 2000 字';
    if (!this.data.photos.length) errors.photos = '请至少拍一张现场照片';
    this.setData({ errors });
    return Object.keys(errors).length === 0;
  },
  async submit() {
    const c = this.detail;
    if (!c || this.data.busy || !this.validate()) return;
    this.setData({ busy: true, error: '' });
    try {
      const photoIds = await uploadPhotos(this.data.photos, { enterpriseId: c.enterprise_id, kind: 'site', subjectId: c.check_id });
      await call('recordCheck', {
        path: { check_id: c.check_id },
        body: {
          conclusion: this.data.conclusion,
          findings: ITEMS.map((i) => ({ item: i.key, ok: !this.data.problems.includes(i.key), note: '' })),
          text: this.data.text.trim(),
          photo_ids: photoIds,
          alarm_ids: this.data.alarmIds,
        },
      });
      clearDraft(`inspect:${c.check_id}`);
      forgetUploads(this.data.photos);
      this.setData({ busy: false, sent: true });
      wx.showToast({ title: '检查记录已提交', icon: 'success' });
    } catch (err) {
      this.setData({ busy: false, error: messageOf(err) });
    }
  },
});
