// The maintenance log and the repair tasks as the API gives them (routes/maintenance.py, maintenance_duties.py),
// in the words the installer reads.
import { beijing } from './time';

export interface EntryOut {
  entry_id: string;
  kind: string;
  kind_name: string;
  at: string;
  mn: string;
  items: string[];
  text: string;
  photo_ids: string[];
  passed: boolean | null;
  checklist?: Record<string, boolean>;
  parts?: string[];
  back_online?: boolean | null;
  readings?: Array<{ point_id: string; code: string; seen: number; platform: number | null }>;
}

const UNITS: Record<string, string> = { p: 'kW', ep_fwd: 'kWh' };

export interface RepairOut {
  obligation_id: string;
  mn: string;
  title: string;
  opened_at: string;
  deadline: string;
  seconds_left: number;
  state: string;
  state_name: string;
}

/** Time left as 剩余 X小时YY分 or 已超时 X小时YY分. */
export function hoursLeft(seconds: number): string {
  const s = Math.abs(seconds);
  const text = `${Math.floor(s / 3600)}小时${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}分`;
  return seconds < 0 ? `已超时 ${text}` : `剩余 ${text}`;
}

export function repairLine(r: RepairOut): string {
  return `${r.title}（${r.mn}，${beijing(r.opened_at)} 起，${hoursLeft(r.seconds_left)}）`;
}

/** One log entry: its head line and what it records beyond the text (abnormal items, parts, back online). */
export function entryLine(e: EntryOut, titles: Record<string, string>): { head: string; detail: string; text: string; photos: string } {
  const verdict = e.passed === null ? '' : e.passed ? '（通过）' : '（未通过）';
  const details: string[] = [];
  if (e.items.length) details.push(e.items.join('、'));
  const checklist = e.checklist ?? {};
  const keys = Object.keys(checklist);
  if (keys.length) {
    const bad = keys.filter((k) => !checklist[k]).map((k) => titles[k] ?? k);
    details.push(bad.length ? `异常：${bad.join('、')}` : `${keys.length} 项检查均正常`);
  }
  for (const r of e.readings ?? []) {
    const unit = UNITS[r.code] ? ` ${UNITS[r.code]}` : '';
    details.push(`${r.code} 现场 ${r.seen}${unit} / 平台 ${r.platform === null ? '无数据' : `${r.platform}${unit}`}`);
  }
  if (e.parts?.length) details.push(`更换：${e.parts.join('、')}`);
  if (e.back_online === true) details.push('终端已恢复上线');
  if (e.back_online === false) details.push('终端尚未恢复上线');
  return {
    head: `${e.kind_name}${verdict} ${beijing(e.at)}${e.mn ? ` · ${e.mn}` : ''}`,
    detail: details.join('；'),
    text: e.text,
    photos: e.photo_ids.length ? `照片 ${e.photo_ids.length} 张` : '',
  };
}
