// 报警响应: cause from the notice's list, text, ≤ 9 photos (camera or album) and the location; kept as a draft
// on the phone until the API has it.
import { answerable, responseLeft, TICK_MS } from '../../../lib/alarm';
import { clearDraft, loadDraft } from '../../../lib/drafts';
import { addPhotos, keepDraft, locate, placeOf, placeText, removePhoto, type FieldDraft, type Place } from '../../../lib/fieldform';
import { applyInput, type InputEvent } from '../../../lib/form';
import { ApiFailure, call, messageOf } from '../../../lib/http';
import { CAUSES } from '../../../lib/labels';
import { offerSubscriptionOnce } from '../../../lib/subscribe';
import { beijing } from '../../../lib/time';
import { forgetUploads, MAX_PHOTOS, uploadPhotos } from '../../../lib/uploads';

interface Detail {
  id: string;
  enterprise_id: string;
  rule_name: string;
  state: string;
  state_name: string;
  version: number;
  created_at: string;
  response_due?: string | null;
  episodes: Array<{ words: string[] }>;
  response: null | { cause_name: string; text: string; at: string; late: boolean };
}

const FIELDS = ['cause', 'text', 'photos', 'location'] as const;
const TEXT_MAX = 500;
export const CONFLICT_MESSAGE = '报警已更新，请确认后再提交';

Page({
  data: {
    id: '',
    loading: true,
    error: '',
    causes: CAUSES,
    alarm: null as null | { rule: string; stateName: string; created: string; left: string; urgent: boolean; words: string[]; answerable: boolean },
    response: null as Detail['response'] | null,
    cause: '',
    text: '',
    photos: [] as string[],
    location: null as Place | null,
    place: placeText(null),
    maxPhotos: MAX_PHOTOS,
    errors: {} as Record<string, string>,
    busy: false,
    sent: false,
  },
  detail: null as Detail | null,
  ticker: 0 as unknown as ReturnType<typeof setInterval>,
  onLoad(query: Record<string, string | undefined>) {
    const id = query.id ?? '';
    const draft = loadDraft<FieldDraft & { cause: string }>(`respond:${id}`);
    const location = placeOf(draft.location);
    this.setData({ id, cause: draft.cause ?? '', text: draft.text ?? '', photos: draft.photos ?? [], location, place: placeText(location) });
    this.ticker = setInterval(() => this.draw(), TICK_MS);
    void this.load();
  },
  onUnload() {
    clearInterval(this.ticker);
  },
  async load() {
    try {
      this.detail = await call<Detail>('alarm', { path: { alarm_id: this.data.id } });
      this.setData({ loading: false, response: this.detail.response });
      this.draw();
    } catch (err) {
      this.setData({ loading: false, error: messageOf(err) });
    }
  },
  /** The alarm as shown; redrawn by the ticker so the time left counts down. */
  draw() {
    const d = this.detail;
    if (!d) return;
    const left = responseLeft(d, Date.now());
    this.setData({
      alarm: {
        rule: d.rule_name,
        stateName: d.state_name,
        created: beijing(d.created_at),
        left: left ? left.text : '',
        urgent: !!left?.urgent,
        words: d.episodes.flatMap((e) => e.words),
        answerable: answerable(d),
      },
    });
  },
  draftKey() {
    return `respond:${this.data.id}`;
  },
  draftValue() {
    return { cause: this.data.cause, text: this.data.text, photos: this.data.photos, location: this.data.location };
  },
  onInput(e: InputEvent) {
    applyInput(this, this.draftKey(), FIELDS, e);
  },
  onCause(e: { currentTarget: { dataset: { code: string } } }) {
    this.setData({ cause: e.currentTarget.dataset.code, 'errors.cause': '' });
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
    if (!CAUSES.some((c) => c.code === this.data.cause)) errors.cause = '请选择原因';
    if (this.data.cause === 'other' && !this.data.text.trim()) errors.text = '原因为“其他”时请填写说明';
    if (this.data.text.length > TEXT_MAX) errors.text = `说明不超过 ${TEXT_MAX} 字`;
    if (this.data.photos.length > MAX_PHOTOS) errors.photos = `最多 ${MAX_PHOTOS} 张照片`;
    this.setData({ errors });
    return Object.keys(errors).length === 0;
  },
  async submit() {
    const d = this.detail;
    if (!d || this.data.busy || !this.validate()) return;
    this.setData({ busy: true, error: '' });
    try {
      const photos = await uploadPhotos(this.data.photos, { enterpriseId: d.enterprise_id, kind: 'alarm_response', subjectId: d.id });
      await call('respond', {
        path: { alarm_id: d.id },
        body: { version: d.version, cause: this.data.cause, text: this.data.text.trim(), photos, location: this.data.location },
      });
      clearDraft(`respond:${d.id}`);
      forgetUploads(this.data.photos);
      this.setData({ busy: false, sent: true });
      wx.showToast({ title: '已提交响应', icon: 'success' });
      offerSubscriptionOnce();
    } catch (err) {
      this.setData({ busy: false, error: messageOf(err) });
      if (err instanceof ApiFailure && err.status === 409) await this.reloadAfterConflict();
    }
  },
  /** Someone changed the alarm meanwhile: show it as it is now; the draft stays for a second look. */
  async reloadAfterConflict() {
    this.setData({ error: '' });
    await this.load();
    if (!this.data.error) this.setData({ error: CONFLICT_MESSAGE });
  },
});
