// 现场核查: the result, photos and the place of the visit; a draft on the phone until sent.
import { clearDraft, loadDraft } from '../../../lib/drafts';
import { addPhotos, keepDraft, locate, placeOf, placeText, removePhoto, type FieldDraft, type Place } from '../../../lib/fieldform';
import { applyInput, type InputEvent } from '../../../lib/form';
import { ApiFailure, call, messageOf } from '../../../lib/http';
import { offerSubscriptionOnce } from '../../../lib/subscribe';
import { beijing } from '../../../lib/time';
import { forgetUploads, uploadPhotos } from '../../../lib/uploads';

interface Detail {
  id: string;
  enterprise_id: string;
  enterprise_name: string;
  rule_name: string;
  version: number;
  created_at: string;
  response: null | { cause_name: string; text: string; at: string; location?: Place | null };
}

const FIELDS = ['verdict', 'text', 'photos', 'location'] as const;
export const CONFLICT_MESSAGE = '报警已更新，请确认后再提交';
export const VERDICTS = ['情况属实', '情况不属实', '已整改'];

Page({
  data: {
    id: '',
    error: '',
    alarm: null as null | { enterprise: string; rule: string; created: string; response: string; responsePlace: string },
    verdicts: VERDICTS,
    verdict: '',
    text: '',
    photos: [] as string[],
    location: null as Place | null,
    place: placeText(null),
    errors: {} as Record<string, string>,
    busy: false,
    sent: false,
  },
  detail: null as Detail | null,
  onLoad(query: Record<string, string | undefined>) {
    const id = query.id ?? '';
    const d = loadDraft<FieldDraft & { verdict: string }>(`verify:${id}`);
    const location = placeOf(d.location);
    this.setData({ id, verdict: d.verdict ?? '', text: d.text ?? '', photos: d.photos ?? [], location, place: placeText(location) });
    void this.load();
  },
  async load() {
    try {
      const d = await call<Detail>('alarm', { path: { alarm_id: this.data.id } });
      this.detail = d;
      this.setData({
        alarm: {
          enterprise: d.enterprise_name,
          rule: d.rule_name,
          created: beijing(d.created_at),
          response: d.response ? `${d.response.cause_name}：${d.response.text}` : '企业未响应',
          responsePlace: d.response?.location ? `企业响应${placeText(placeOf(d.response.location))}` : '',
        },
      });
    } catch (err) {
      this.setData({ error: messageOf(err) });
    }
  },
  draftKey() {
    return `verify:${this.data.id}`;
  },
  draftValue() {
    return { verdict: this.data.verdict, text: this.data.text, photos: this.data.photos, location: this.data.location };
  },
  onInput(e: InputEvent) {
    applyInput(this, this.draftKey(), FIELDS, e);
  },
  onVerdict(e: { currentTarget: { dataset: { verdict: string } } }) {
    this.setData({ verdict: e.currentTarget.dataset.verdict, 'errors.verdict': '' });
    keepDraft(this);
  },
  addPhotos() {
    return addPhotos(this);
  },
  removePhoto(e: { currentTarget: { dataset: { index: number } } }) {
    removePhoto(this, Number(e.currentTarget.dataset.index));
  },
  async locate() {
    await locate(this);
    this.setData({ place: placeText(this.data.location) });
  },
  validate(): boolean {
    const errors: Record<string, string> = {};
    if (!VERDICTS.includes(this.data.verdict)) errors.verdict = '请选择核查结论';
    if (!this.data.text.trim()) errors.text = '请填写核查情况';
    else if (this.data.text.length > 1000) errors.text = '不超过 1000 字';
    if (!this.data.photos.length) errors.photos = '请至少拍一张现场照片';
    this.setData({ errors });
    return Object.keys(errors).length === 0;
  },
  async submit() {
    const d = this.detail;
    if (!d || this.data.busy || !this.validate()) return;
    this.setData({ busy: true, error: '' });
    try {
      const photos = await uploadPhotos(this.data.photos, { enterpriseId: d.enterprise_id, kind: 'verification', subjectId: d.id });
      await call('verify', {
        path: { alarm_id: d.id },
        body: { version: d.version, result: `${this.data.verdict}：${this.data.text.trim()}`, photos, location: this.data.location },
      });
      clearDraft(`verify:${d.id}`);
      forgetUploads(this.data.photos);
      this.setData({ busy: false, sent: true });
      wx.showToast({ title: '核查结果已提交', icon: 'success' });
      offerSubscriptionOnce();
    } catch (err) {
      this.setData({ busy: false, error: messageOf(err) });
      if (err instanceof ApiFailure && err.status === 409) await this.reloadAfterConflict();
    }
  },
  /** Someone changed the alarm meanwhile: show it as it is now (its new version); the draft stays. */
  async reloadAfterConflict() {
    this.setData({ error: '' });
    await this.load();
    if (!this.data.error) this.setData({ error: CONFLICT_MESSAGE });
  },
});
