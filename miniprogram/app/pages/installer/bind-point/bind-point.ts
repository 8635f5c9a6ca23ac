// 绑定点位: the terminal's channel to an enterprise's monitoring point (point code as scanned, channel, CT ratio).
import { clearDraft, loadDraft } from '../../../lib/drafts';
import { applyInput, type InputEvent } from '../../../lib/form';
import { ApiFailure, call, messageOf } from '../../../lib/http';
import { PASSWORD_PATTERN } from '../../../lib/terminal';

const FIELDS = ['pointCode', 'channel', 'ctRatio', 'password'] as const;
// The API shows a point's version only once it is bound (TerminalOut.points); an unbound point is at its first.
const FIRST_VERSION = 1;

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
    knownVersions: {} as Record<string, number>,
    errors: {} as Record<string, string>,
    error: '',
    result: '',
    busy: false,
  },
  onLoad(query: Record<string, string | undefined>) {
    const mn = query.mn ?? '';
    const d = loadDraft<Record<string, string>>(`bind:${mn}`);
    this.setData({ mn, pointCode: d.pointCode ?? '', channel: d.channel ?? '', ctRatio: d.ctRatio ?? '', password: d.password ?? '' });
    void this.loadTerminal();
  },
  async loadTerminal() {
    try {
      const t = await call<{ points: Array<{ point_code: string; version: number }> }>('terminal', { path: { mn: this.data.mn } });
      this.setData({ isNew: false, knownVersions: Object.fromEntries(t.points.map((p) => [p.point_code, p.version])) });
    } catch (err) {
      if (err instanceof ApiFailure && err.status === 404) this.setData({ isNew: true });
      else this.setData({ error: messageOf(err) });
    }
  },
  onInput(e: InputEvent) {
    applyInput(this, `bind:${this.data.mn}`, FIELDS, e);
  },
  onRebind(e: { detail: { value: boolean } }) {
    this.setData({ rebind: !!e.detail.value });
  },
  scanPoint() {
    wx.scanCode({
      success: (res) => this.setData({ pointCode: res.result.trim(), 'errors.pointCode': '' }),
      fail: () => undefined,
    });
  },
  validate(): boolean {
    const errors: Record<string, string> = {};
    if (!this.data.pointCode || this.data.pointCode.length > 64) errors.pointCode = '请扫描或输入点位编码';
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
  async submit() {
    if (this.data.busy || !this.validate()) return;
    this.setData({ busy: true, error: '', result: '' });
    try {
      const out = await call<BindOut>('bindTerminal', {
        path: { mn: this.data.mn },
        body: {
          point_code: this.data.pointCode,
          point_version: this.data.knownVersions[this.data.pointCode] ?? FIRST_VERSION,
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
    }
  },
});
