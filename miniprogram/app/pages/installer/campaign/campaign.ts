// 安装步骤: an enterprise's campaign file for its installer: where it stands against the deadlines, the records so far,
// and the next step it may record (survey → installation → commissioning on the terminal → the trial run, which the
// platform judges by itself; a failed one restarts here). Each step goes with the file's version (409 when stale).
import { lateTexts, names, networkText, nextStep, trialText, type FileOut, type NextStep } from '../../../lib/campaign';
import { clearDraft, loadDraft } from '../../../lib/drafts';
import { addPhotos, removePhoto } from '../../../lib/fieldform';
import { applyInput, type InputEvent } from '../../../lib/form';
import { ApiFailure, call, messageOf } from '../../../lib/http';
import { MAX_PHOTOS } from '../../../lib/photos';
import { beijing } from '../../../lib/time';
import { forgetUploads, uploadPhotos } from '../../../lib/uploads';

const FIELDS = ['facilities', 'points', 'remarks', 'photos'] as const;
const NAME_MAX = 60; // the API's limits on a survey's names
const LIST_MAX = 60;

Page({
  data: {
    enterpriseId: '',
    loading: true,
    error: '',
    head: null as null | { name: string; status: string; deadlines: string; exemption: string; network: string; networkMet: boolean; calendar: string },
    records: [] as Array<{ key: string; text: string }>,
    overdue: [] as string[],
    late: [] as string[],
    next: '' as NextStep,
    facilities: '',
    points: '',
    remarks: '',
    photos: [] as string[],
    maxPhotos: MAX_PHOTOS,
    errors: {} as Record<string, string>,
    busy: false,
  },
  file: null as FileOut | null,
  onLoad(query: Record<string, string | undefined>) {
    this.setData({ enterpriseId: query.enterprise_id ?? '' });
    void this.load();
  },
  draftKey() {
    return `campaign:${this.data.enterpriseId}:${this.data.next}`;
  },
  draftValue() {
    const { facilities, points, remarks, photos } = this.data;
    return { facilities, points, remarks, photos };
  },
  async load() {
    try {
      const f = await call<FileOut>('campaignFile', { path: { enterprise_id: this.data.enterpriseId } });
      this.show(f);
    } catch (err) {
      this.setData({ loading: false, error: messageOf(err) });
    }
  },
  show(f: FileOut) {
    this.file = f;
    const records: Array<{ key: string; text: string }> = [];
    if (f.survey) {
      records.push({ key: 'survey', text: `勘察 ${beijing(f.survey.at)}：设施 ${f.survey.facilities.join('、')}；拟装点位 ${f.survey.planned_points.join('、')}` });
    }
    if (f.installation) records.push({ key: 'installation', text: `安装完成 ${beijing(f.installation.at)}${f.installation.remarks ? `：${f.installation.remarks}` : ''}` });
    if (f.networked_at) records.push({ key: 'networked', text: `已联网 ${beijing(f.networked_at)}` });
    if (f.trial) records.push({ key: 'trial', text: trialText(f.trial) });
    if (f.acceptance) records.push({ key: 'acceptance', text: `已验收 ${beijing(f.acceptance.at)}` });
    if (f.filing) records.push({ key: 'filing', text: `已备案 ${beijing(f.filing.at)}${f.filing.late ? '（逾期）' : ''}` });
    const next = nextStep(f);
    this.setData({
      loading: false,
      head: {
        name: f.enterprise_name,
        status: f.install_status_name,
        deadlines: `勘察 ${f.deadlines.survey.slice(5)} · 安装联网 ${f.deadlines.network.slice(5)} · 验收备案 ${f.deadlines.filing.slice(5)}`,
        exemption: f.exemption ? `已豁免：${f.exemption.reason_name}${f.exemption.note ? `（${f.exemption.note}）` : ''}` : '',
        network: networkText(f.network),
        networkMet: f.network?.complete ?? false,
        calendar: f.calendar_warning ? `注意：${f.calendar_warning}` : '',
      },
      records,
      overdue: f.overdue.map((o) => `${o.step_name}已逾期 ${o.days_overdue} 个${o.unit}（期限 ${o.due}）`),
      late: lateTexts(f),
      next,
      errors: {},
    });
    const d = loadDraft<{ facilities: string; points: string; remarks: string; photos: string[] }>(this.draftKey());
    this.setData({ facilities: d.facilities ?? '', points: d.points ?? '', remarks: d.remarks ?? '', photos: d.photos ?? [] });
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
  validate(): boolean {
    const errors: Record<string, string> = {};
    if (this.data.next === 'survey') {
      const lists = { facilities: names(this.data.facilities), points: names(this.data.points) };
      const words = { facilities: '勘察到的设施', points: '拟安装的点位' };
      for (const key of ['facilities', 'points'] as const) {
        const list = lists[key];
        if (!list.length) errors[key] = `请填写${words[key]}（每行一个）`;
        else if (list.length > LIST_MAX) errors[key] = `最多 ${LIST_MAX} 项`;
        else if (list.some((n) => n.length > NAME_MAX)) errors[key] = `每项不超过 ${NAME_MAX} 字`;
      }
    }
    if (this.data.remarks.length > 1000) errors.remarks = '说明不超过 1000 字';
    this.setData({ errors });
    return Object.keys(errors).length === 0;
  },
  async submit() {
    const f = this.file;
    if (!f || this.data.busy || !this.validate()) return;
    const step = this.data.next;
    if (step !== 'survey' && step !== 'installation') return;
    this.setData({ busy: true, error: '' });
    const key = this.draftKey();
    try {
      const kind = step === 'survey' ? 'site' : 'installation';
      const photoIds = await uploadPhotos(this.data.photos, { enterpriseId: f.enterprise_id, kind });
      const path = { enterprise_id: f.enterprise_id };
      const remarks = this.data.remarks.trim();
      const out =
        step === 'survey'
          ? await call<FileOut>('surveyStep', {
              path,
              body: { version: f.version, at: null, facilities: names(this.data.facilities), planned_points: names(this.data.points), photo_ids: photoIds, remarks },
            })
          : await call<FileOut>('installStep', { path, body: { version: f.version, at: null, remarks, photo_ids: photoIds } });
      clearDraft(key);
      forgetUploads(this.data.photos);
      wx.showToast({ title: step === 'survey' ? '勘察已记录' : '安装已记录', icon: 'success' });
      this.setData({ busy: false });
      this.show(out);
    } catch (err) {
      this.setData({ busy: false, error: messageOf(err) });
      // someone recorded a step since: show the file as it is now; the draft stays
      if (err instanceof ApiFailure && err.status === 409) await this.load();
    }
  },
  async restart() {
    const f = this.file;
    if (!f || this.data.busy) return;
    this.setData({ busy: true, error: '' });
    try {
      const out = await call<FileOut>('trialRestart', { path: { enterprise_id: f.enterprise_id }, body: { version: f.version } });
      this.setData({ busy: false });
      this.show(out);
      wx.showToast({ title: '试运行已重新开始', icon: 'success' });
    } catch (err) {
      this.setData({ busy: false, error: messageOf(err) });
      if (err instanceof ApiFailure && err.status === 409) await this.load();
    }
  },
  toTerminal() {
    void wx.redirectTo({ url: '/pages/installer/home/home' });
  },
});
