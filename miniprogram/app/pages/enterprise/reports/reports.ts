// 故障申报 (within 2 h of the fault, with photos) and 停运报备 (with its window): file one, follow each decision.
import { clearDraft, loadDraft, saveDraft } from '../../../lib/drafts';
import { myEnterpriseId } from '../../../lib/enterprise';
import { applyInput, type InputEvent } from '../../../lib/form';
import { call, messageOf } from '../../../lib/http';
import { FAULT_KINDS, STOPPAGE_KINDS } from '../../../lib/labels';
import { addPhotos, removePhoto } from '../../../lib/fieldform';
import { beijing, beijingDay, fromPicker, isoBeijing } from '../../../lib/time';
import { forgetUploads, uploadPhotos } from '../../../lib/uploads';

interface FaultOut {
  id: string;
  kind_name: string;
  fault_start: string;
  filed_at: string;
  filed_late: boolean;
  description: string;
  resolved_at: string | null;
  acknowledged_by: string | null;
  photos: string[];
}
interface StoppageOut {
  id: string;
  kind_name: string;
  start: string;
  end: string | null;
  reason: string;
  decision: string;
  decision_name: string;
  decision_deadline: string;
  decision_note: string;
  decided_at: string | null;
}

const FAULT_WINDOW_MS = 2 * 3600_000;

/** The stoppage's decision in words: who decides by when, or what was decided (or deemed) and when. */
export function decisionText(s: StoppageOut): string {
  if (s.decision === 'pending') return `${s.decision_name}（${beijing(s.decision_deadline)} 前未答复视为同意）`;
  if (s.decision === 'deemed_approved') return `${s.decision_name}（期限 ${beijing(s.decision_deadline)} 已过）`;
  return s.decided_at ? `分局${s.decision_name}（${beijing(s.decided_at)}）` : s.decision_name;
}
const FIELDS = ['kind', 'pointIds', 'startDate', 'startTime', 'endDate', 'endTime', 'text', 'photos'] as const;

function hhmm(ms: number): string {
  return isoBeijing(ms).slice(11, 16);
}

Page({
  data: {
    tab: 'fault' as 'fault' | 'stoppage',
    faultKinds: FAULT_KINDS,
    stoppageKinds: STOPPAGE_KINDS,
    points: [] as Array<{ point_id: string; name: string; chosen: boolean }>,
    kind: '',
    pointIds: [] as string[],
    startDate: '',
    startTime: '',
    endDate: '',
    endTime: '',
    text: '',
    photos: [] as string[],
    lateWarning: '',
    errors: {} as Record<string, string>,
    error: '',
    busy: false,
    faults: [] as Array<{ id: string; kind: string; start: string; status: string; late: boolean; detail: string }>,
    stoppages: [] as Array<{ id: string; kind: string; window: string; decision: string; decisionName: string; note: string }>,
  },
  eid: '',
  onLoad(query: Record<string, string | undefined>) {
    this.eid = myEnterpriseId() ?? '';
    this.switchTo(query.tab === 'stoppage' ? 'stoppage' : 'fault');
    void this.refresh();
  },
  draftKey(): string {
    return `${this.data.tab}:${this.eid}`;
  },
  switchTo(tab: 'fault' | 'stoppage') {
    const now = Date.now();
    this.setData({ tab, errors: {}, error: '' });
    const d = loadDraft<Record<(typeof FIELDS)[number], unknown>>(this.draftKey());
    this.setData({
      kind: (d.kind as string) ?? '',
      pointIds: (d.pointIds as string[]) ?? [],
      startDate: (d.startDate as string) ?? beijingDay(now),
      startTime: (d.startTime as string) ?? hhmm(now),
      endDate: (d.endDate as string) ?? '',
      endTime: (d.endTime as string) ?? '',
      text: (d.text as string) ?? '',
      photos: (d.photos as string[]) ?? [],
    });
    this.markPoints();
    this.checkLate();
  },
  onTab(e: { currentTarget: { dataset: { tab: 'fault' | 'stoppage' } } }) {
    this.switchTo(e.currentTarget.dataset.tab);
  },
  async refresh() {
    if (!this.eid) {
      this.setData({ error: '此账号未关联企业，请联系管理员' });
      return;
    }
    try {
      const [ent, faults, stoppages] = await Promise.all([
        call<{ points: Array<{ point_id: string; name: string }> }>('enterprise', { path: { enterprise_id: this.eid } }),
        call<{ items: FaultOut[] }>('faultReports', { query: { enterprise_id: [this.eid], limit: 50 } }),
        call<{ items: StoppageOut[] }>('stoppages', { query: { enterprise_id: [this.eid], limit: 50 } }),
      ]);
      this.setData({
        points: ent.points.map((p) => ({ point_id: p.point_id, name: p.name, chosen: this.data.pointIds.includes(p.point_id) })),
        faults: faults.items.map((f) => ({
          id: f.id,
          kind: f.kind_name,
          start: beijing(f.fault_start),
          late: f.filed_late,
          status: f.resolved_at ? `已恢复（${beijing(f.resolved_at)}）` : f.acknowledged_by ? '分局已确认' : '待分局确认',
          detail: `${f.description}${f.photos.length ? `（照片 ${f.photos.length} 张）` : ''}`,
        })),
        stoppages: stoppages.items.map((s) => ({
          id: s.id,
          kind: s.kind_name,
          window: `${beijing(s.start)} 至 ${s.end ? beijing(s.end) : '待定'}`,
          decision: s.decision,
          decisionName: decisionText(s),
          note: s.decision_note,
        })),
      });
    } catch (err) {
      this.setData({ error: messageOf(err) });
    }
  },
  draftValue() {
    const draft: Record<string, unknown> = {};
    for (const f of FIELDS) draft[f] = this.data[f];
    return draft;
  },
  keep() {
    saveDraft(this.draftKey(), this.draftValue());
  },
  onInput(e: InputEvent) {
    applyInput(this, this.draftKey(), FIELDS, e);
    this.checkLate();
  },
  onKind(e: { currentTarget: { dataset: { code: string } } }) {
    this.setData({ kind: e.currentTarget.dataset.code, 'errors.kind': '' });
    this.keep();
  },
  onPoint(e: { currentTarget: { dataset: { id: string } } }) {
    const id = e.currentTarget.dataset.id;
    const ids = this.data.pointIds.includes(id) ? this.data.pointIds.filter((p) => p !== id) : [...this.data.pointIds, id];
    this.setData({ pointIds: ids, 'errors.pointIds': '' });
    this.markPoints();
    this.keep();
  },
  markPoints() {
    this.setData({ points: this.data.points.map((p) => ({ ...p, chosen: this.data.pointIds.includes(p.point_id) })) });
  },
  checkLate() {
    const start = fromPicker(this.data.startDate, this.data.startTime);
    const late = this.data.tab === 'fault' && !Number.isNaN(start) && Date.now() - start > FAULT_WINDOW_MS;
    this.setData({ lateWarning: late ? '故障发生已超过 2 小时，申报将被标记为逾期' : '' });
  },
  addPhotos() {
    return addPhotos(this);
  },
  removePhoto(e: { currentTarget: { dataset: { index: number } } }) {
    removePhoto(this, Number(e.currentTarget.dataset.index));
  },
  validate(): boolean {
    const errors: Record<string, string> = {};
    const kinds = this.data.tab === 'fault' ? FAULT_KINDS : STOPPAGE_KINDS;
    if (!kinds.some((k) => k.code === this.data.kind)) errors.kind = '请选择类型';
    if (!this.data.pointIds.length) errors.pointIds = '请选择涉及的监测点';
    const start = fromPicker(this.data.startDate, this.data.startTime);
    if (Number.isNaN(start)) errors.start = '请选择开始时间';
    else if (this.data.tab === 'fault' && start > Date.now()) errors.start = '故障时间不能晚于现在';
    if (this.data.tab === 'stoppage' && (this.data.endDate || this.data.endTime)) {
      const end = fromPicker(this.data.endDate, this.data.endTime);
      if (Number.isNaN(end)) errors.end = '请把结束日期和时间填完整';
      else if (!Number.isNaN(start) && end <= start) errors.end = '结束时间须晚于开始时间';
    }
    if (!this.data.text.trim()) errors.text = this.data.tab === 'fault' ? '请描述故障情况' : '请填写停运原因';
    else if (this.data.text.length > 1000) errors.text = '不超过 1000 字';
    this.setData({ errors });
    return Object.keys(errors).length === 0;
  },
  async submit() {
    if (this.data.busy || !this.validate()) return;
    this.setData({ busy: true, error: '' });
    const start = isoBeijing(fromPicker(this.data.startDate, this.data.startTime));
    try {
      if (this.data.tab === 'fault') {
        const photos = await uploadPhotos(this.data.photos, { enterpriseId: this.eid, kind: 'fault' });
        await call('fileFault', {
          body: { enterprise_id: this.eid, kind: this.data.kind, point_ids: this.data.pointIds, fault_start: start, description: this.data.text.trim(), photos },
        });
        forgetUploads(this.data.photos);
      } else {
        const end = this.data.endDate ? isoBeijing(fromPicker(this.data.endDate, this.data.endTime)) : null;
        await call('fileStoppage', {
          body: { enterprise_id: this.eid, kind: this.data.kind, point_ids: this.data.pointIds, start, end, reason: this.data.text.trim() },
        });
      }
      clearDraft(this.draftKey());
      wx.showToast({ title: '已提交', icon: 'success' });
      this.switchTo(this.data.tab);
      this.setData({ busy: false });
      await this.refresh();
    } catch (err) {
      this.setData({ busy: false, error: messageOf(err) });
    }
  },
});
