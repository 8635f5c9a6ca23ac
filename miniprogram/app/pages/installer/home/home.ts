// 安装调试: scan or type a terminal's MN; the MNs that sent frames lately without being registered; the installer's
// enterprises with their installation progress (each opens its campaign steps); the maintenance to-do: inspections
// due within the 14 days and repair tasks within their 24 hours, most urgent first (each opens its entry form).
import { call, messageOf } from '../../../lib/http';
import { mnFromScan, validMn } from '../../../lib/terminal';
import { repairLine, type RepairOut } from '../../../lib/maintenance';
import { beijing } from '../../../lib/time';

interface InspectionDue {
  mn: string;
  enterprise_id: string;
  enterprise_name: string;
  state: string;
  state_name: string;
  due_at: string | null;
}
const TODO_INSPECTIONS = new Set(['overdue', 'due_soon', 'not_started']);

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
    inspections: [] as Array<{ mn: string; enterpriseId: string; line: string; urgent: boolean }>,
    repairs: [] as Array<{ id: string; mn: string; enterpriseId: string; line: string; urgent: boolean }>,
  },
  onShow() {
    void this.refresh();
  },
  async refresh() {
    try {
      const [out, mine, due, repairs] = await Promise.all([
        call<{ items: Unregistered[] }>('unregistered', { query: { days: 7 } }),
        // the API lists an installer's assigned enterprises only
        call<{ items: Array<{ enterprise_id: string; name: string; install_status_name: string; exempt: boolean }> }>(
          'enterprises',
          { query: { limit: 100 } },
        ),
        call<{ items: Array<InspectionDue> }>('inspectionsDue'),
        call<{ items: Array<RepairOut & { enterprise_id: string }> }>('repairs'),
      ]);
      this.setData({
        unregistered: out.items.map((u) => ({ mn: u.mn, lastSeen: beijing(u.last_seen), frames: u.frames, peer: u.peer })),
        enterprises: mine.items.map((e) => ({ id: e.enterprise_id, name: e.name, status: e.exempt ? '豁免' : e.install_status_name, exempt: e.exempt })),
        // the API sorts both lists most urgent first
        inspections: due.items
          .filter((i) => TODO_INSPECTIONS.has(i.state))
          .map((i) => ({
            mn: i.mn,
            enterpriseId: i.enterprise_id,
            line: `${i.enterprise_name} · ${i.mn}：${i.state_name}${i.due_at ? `（${beijing(i.due_at)} 前）` : ''}`,
            urgent: i.state === 'overdue',
          })),
        repairs: repairs.items
          .filter((r) => r.state === 'open' || r.state === 'overdue')
          .map((r) => ({ id: r.obligation_id, mn: r.mn, enterpriseId: r.enterprise_id, line: repairLine(r), urgent: r.state === 'overdue' })),
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
  openInspection(e: { currentTarget: { dataset: { mn: string; enterprise: string } } }) {
    const { mn, enterprise } = e.currentTarget.dataset;
    const q = `enterprise_id=${encodeURIComponent(enterprise)}&mn=${encodeURIComponent(mn)}&kind=inspection`;
    void wx.navigateTo({ url: `/pages/installer/maintenance/maintenance?${q}` });
  },
  openRepair(e: { currentTarget: { dataset: { id: string; mn: string; enterprise: string } } }) {
    const { id, mn, enterprise } = e.currentTarget.dataset;
    const q = `enterprise_id=${encodeURIComponent(enterprise)}&mn=${encodeURIComponent(mn)}&obligation=${encodeURIComponent(id)}`;
    void wx.navigateTo({ url: `/pages/installer/maintenance/maintenance?${q}` });
  },
  pick(e: { currentTarget: { dataset: { mn: string } } }) {
    this.open(e.currentTarget.dataset.mn);
  },
});
