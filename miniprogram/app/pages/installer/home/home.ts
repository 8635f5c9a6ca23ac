// 安装调试: scan or type a terminal's MN; the MNs that sent frames lately without being registered; the installer's
// enterprises with their installation progress (each opens its campaign steps).
import { call, messageOf } from '../../../lib/http';
import { mnFromScan, validMn } from '../../../lib/terminal';
import { beijing } from '../../../lib/time';

interface Unregistered {
  mn: string;
  first_seen: string;
  last_seen: string;
  frames: number;
  peer: string;
}

Page({
  data: {
    mn: '',
    error: '',
    unregistered: [] as Array<{ mn: string; lastSeen: string; frames: number; peer: string }>,
    enterprises: [] as Array<{ id: string; name: string; status: string; exempt: boolean }>,
  },
  onShow() {
    void this.refresh();
  },
  async refresh() {
    try {
      const [out, mine] = await Promise.all([
        call<{ items: Unregistered[] }>('unregistered', { query: { days: 7 } }),
        // the API lists an installer's assigned enterprises only
        call<{ items: Array<{ enterprise_id: string; name: string; install_status_name: string; exempt: boolean }> }>(
          'enterprises',
          { query: { limit: 100 } },
        ),
      ]);
      this.setData({
        unregistered: out.items.map((u) => ({ mn: u.mn, lastSeen: beijing(u.last_seen), frames: u.frames, peer: u.peer })),
        enterprises: mine.items.map((e) => ({ id: e.enterprise_id, name: e.name, status: e.exempt ? '豁免' : e.install_status_name, exempt: e.exempt })),
      });
    } catch (err) {
      this.setData({ error: messageOf(err) });
    }
  },
  onInput(e: { detail: { value: string } }) {
    this.setData({ mn: String(e.detail.value ?? '').trim(), error: '' });
  },
  open(mn: string) {
    void wx.navigateTo({ url: `/pages/installer/terminal/terminal?mn=${encodeURIComponent(mn)}` });
  },
  go() {
    if (!validMn(this.data.mn)) {
      this.setData({ error: '请输入终端的 MN 编号（字母和数字）' });
      return;
    }
    this.open(this.data.mn);
  },
  scan() {
    wx.scanCode({
      scanType: ['qrCode', 'barCode'],
      success: (res) => {
        const mn = mnFromScan(res.result);
        if (mn) this.open(mn);
        else this.setData({ error: '未识别到终端编号，请手动输入 MN' });
      },
      fail: () => undefined, // cancelled
    });
  },
  openCampaign(e: { currentTarget: { dataset: { id: string } } }) {
    void wx.navigateTo({ url: `/pages/installer/campaign/campaign?enterprise_id=${encodeURIComponent(e.currentTarget.dataset.id)}` });
  },
  pick(e: { currentTarget: { dataset: { mn: string } } }) {
    this.open(e.currentTarget.dataset.mn);
  },
});
