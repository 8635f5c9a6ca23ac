// 绑定点位: the terminal's channel to an enterprise's monitoring point (point code as scanned or picked from the
// enterprise's points, channel, CT ratio); the point's version as the enterprise file shows it (stale → 409).
import { clearDraft, loadDraft, saveDraft } from '../../../lib/drafts';
import { applyInput, type InputEvent } from '../../../lib/form';
import { ApiFailure, call, messageOf } from '../../../lib/http';
import { PASSWORD_PATTERN } from '../../../lib/terminal';

const FIELDS = ['pointCode', 'channel', 'ctRatio', 'password', 'enterpriseId', 'enterpriseName'] as const;

interface PointItem {
  point_id: string;
  point_code: string;
  name: string;
  mn: string | null;
  channel: string;
  version: number;
}

interface BindOut {
  created_terminal: boolean;
  point: { name: string };
  early_frames_decoded: number | null;
}

Page({
  data: {
    mn: '',
    pointCode: '',
    channel: '',
    ctRatio: '',
    password: '',
    rebind: false,
    isNew: false,
    enterpriseId: '',
    enterpriseName: '',
    search: '',
    found: [] as Array<{ id: string; name: string; town: string }>,
    points: [] as Array<{ code: string; label: string; version: number }>,
    errors: {} as Record<string, string>,
    error: '',
    result: '',
    busy: false,
  },
  onLoad(query: Record<string, string | undefined>) {
    const mn = query.mn ?? '';
    const d = loadDraft<Record<string, string>>(`bind:${mn}`);
    this.setData({
      mn,
      pointCode: d.pointCode ?? '',
      channel: d.channel ?? '',
      ctRatio: d.ctRatio ?? '',
      password: d.password ?? '',
      enterpriseId: d.enterpriseId ?? '',
      enterpriseName: d.enterpriseName ?? '',
    });
    void this.loadTerminal();
  },
  async loadTerminal() {
    let enterpriseId = this.data.enterpriseId;
    try {
      const t = await call<{ enterprise_id: string | null }>('terminal', { path: { mn: this.data.mn } });
      this.setData({ isNew: false });
      enterpriseId = enterpriseId || (t.enterprise_id ?? '');
    } catch (err) {
      if (err instanceof ApiFailure && err.status === 404) this.setData({ isNew: true });
      else {
        this.setData({ error: messageOf(err) });
        return;
      }
    }
    if (enterpriseId) await this.loadPoints(enterpriseId);
    else await this.searchEnterprises();
  },
  /** The installer's enterprises (the API lists only those in its scope), by a fragment of the name. */
  async searchEnterprises() {
    try {
      const page = await call<{ items: Array<{ enterprise_id: string; name: string; town_name: string }> }>('enterprises', {
        query: { q: this.data.search.trim(), limit: 20 },
      });
      this.setData({ found: page.items.map((e) => ({ id: e.enterprise_id, name: e.name, town: e.town_name })) });
    } catch (err) {
      this.setData({ error: messageOf(err) });
    }
  },
  onSearch(e: { detail: { value: string } }) {
    this.setData({ search: String(e.detail.value ?? '') });
  },
  pickEnterprise(e: { currentTarget: { dataset: { id: string } } }) {
    void this.loadPoints(e.currentTarget.dataset.id);
  },
  changeEnterprise() {
    this.setData({ enterpriseId: '', enterpriseName: '', points: [] });
    void this.searchEnterprises();
  },
  /** The enterprise's points with their versions: what the binding must send back. */
  async loadPoints(enterpriseId: string) {
    try {
      const ent = await call<{ enterprise_id: string; name: string; points: PointItem[] }>('enterprise', {
        path: { enterprise_id: enterpriseId },
      });
      this.setData({
        enterpriseId: ent.enterprise_id,
        enterpriseName: ent.name,
        found: [],
        'errors.enterprise': '',
        points: ent.points.map((p) => ({
          code: p.point_code,
          label: `${p.name}（${p.point_code}）${p.mn ? `：已绑 ${p.mn} 通道 ${p.channel}` : '：未绑定'}`,
          version: p.version,
        })),
      });
      this.keep();
    } catch (err) {
      this.setData({ error: messageOf(err) });
    }
  },
  keep() {
    const draft: Record<string, unknown> = {};
    for (const f of FIELDS) draft[f] = this.data[f];
    saveDraft(`bind:${this.data.mn}`, draft);
  },
  pickPoint(e: { currentTarget: { dataset: { code: string } } }) {
    this.setData({ pointCode: e.currentTarget.dataset.code, 'errors.pointCode': '' });
    this.keep();
  },
  onInput(e: InputEvent) {
    applyInput(this, `bind:${this.data.mn}`, FIELDS, e);
  },
  onRebind(e: { detail: { value: boolean } }) {
    this.setData({ rebind: !!e.detail.value });
  },
  scanPoint() {
    wx.scanCode({
      success: (res) => {
        this.setData({ pointCode: res.result.trim(), 'errors.pointCode': '' });
        this.keep();
      },
      fail: () => undefined,
    });
  },
  validate(): boolean {
    const errors: Record<string, string> = {};
    if (!this.data.enterpriseId) errors.enterprise = '请先选择企业';
    if (!this.data.pointCode || this.data.pointCode.length > 64) errors.pointCode = '请扫描或输入点位编码';
    else if (this.data.enterpriseId && !this.point()) errors.pointCode = `${this.data.enterpriseName}没有这个点位编码，请核对或更换企业`;
    if (!/^[A-Za-z0-9]{1,8}$/.test(this.data.channel)) errors.channel = '通道号为 1–8 位字母或数字';
    if (this.data.ctRatio !== '') {
      const ct = Number(this.data.ctRatio);
      if (!Number.isFinite(ct) || ct <= 0 || ct > 100000) errors.ctRatio = 'CT 变比应为大于 0 的数（如 150）';
    }
    if (this.data.isNew && !PASSWORD_PATTERN.test(this.data.password)) errors.password = '新终端须填写 1–6 位字母或数字的密码';
    if (!this.data.isNew && this.data.password && !PASSWORD_PATTERN.test(this.data.password)) errors.password = '密码为 1–6 位字母或数字';
    this.setData({ errors });
    return Object.keys(errors).length === 0;
  },
  point() {
    return this.data.points.find((p) => p.code === this.data.pointCode);
  },
  async submit() {
    if (this.data.busy || !this.validate()) return;
    const point = this.point();
    if (!point) return;
    this.setData({ busy: true, error: '', result: '' });
    try {
      const out = await call<BindOut>('bindTerminal', {
        path: { mn: this.data.mn },
        body: {
          point_code: this.data.pointCode,
          point_version: point.version,
          channel: this.data.channel,
          ct_ratio: this.data.ctRatio === '' ? null : Number(this.data.ctRatio),
          password: this.data.password || null,
          rebind: this.data.rebind,
        },
      });
      clearDraft(`bind:${this.data.mn}`);
      const early = out.early_frames_decoded ? `，已补录 ${out.early_frames_decoded} 帧早期数据` : '';
      this.setData({ busy: false, result: `已绑定到 ${out.point.name}${out.created_terminal ? '（新登记终端）' : ''}${early}` });
    } catch (err) {
      this.setData({ busy: false, error: messageOf(err) });
      // someone changed the point since: its fresh version is what a second try must send
      if (err instanceof ApiFailure && err.status === 409) await this.loadPoints(this.data.enterpriseId);
    }
  },
});
