// An enterprise's installation campaign file as the API gives it (GET /enterprises/{id}/campaign) and what the
// installer may record next: survey, installation, commissioning (terminal page), a restart after a failed trial.
import { beijing } from './time';

interface Step {
  at: string;
  by: string;
  remarks: string;
  photo_ids: string[];
}
interface Trial {
  started_at: string;
  outcome: 'running' | 'passed' | 'failed';
  outcome_name: string;
  days: Array<{ day: string; completeness: number }>;
  reason: string;
  ended_on: string | null;
}
export interface FileOut {
  enterprise_id: string;
  enterprise_name: string;
  install_status: string;
  install_status_name: string;
  version: number;
  deadlines: { survey: string; network: string; filing: string };
  survey: (Step & { facilities: string[]; planned_points: string[] }) | null;
  installation: Step | null;
  networked_at: string | null;
  trial: Trial | null;
  acceptance: Step | null;
  filing: { at: string; late: boolean } | null;
  exemption: { reason_name: string; note: string } | null;
  overdue: Array<{ step_name: string; due: string; days_overdue: number; unit: string }>;
  late_steps: Array<{ step: string; step_name: string; due: string; done_on: string; days_late: number }>;
  network: { planned: number; registered: number; with_data: number; shortfall: number; complete: boolean; text: string } | null;
  calendar_warning: string | null;
}

export type NextStep = 'survey' | 'installation' | 'commissioning' | 'restart' | '';

/** One name per line (or separated by 、，,；;): trimmed, no empties, no repeats. */
export function names(text: string): string[] {
  return [...new Set(text.split(/[\n、，,；;]+/).map((s) => s.trim()).filter(Boolean))];
}

export function nextStep(f: FileOut): NextStep {
  if (f.exemption) return '';
  if (f.install_status === 'pending_survey') return 'survey';
  if (f.install_status === 'surveyed') return 'installation';
  if (f.install_status === 'installed') return 'commissioning';
  if (f.install_status === 'trial_run' && f.trial?.outcome === 'failed') return 'restart';
  return '';
}

export function trialText(t: Trial | null): string {
  if (!t) return '';
  const days = t.days.map((d) => `${d.day.slice(5)} ${Math.round(d.completeness * 100)}%`).join('，');
  const reason = t.reason ? `：${t.reason}` : '';
  return `试运行（${beijing(t.started_at)} 起）${t.outcome_name}${reason}${days ? `；每日数据完整率 ${days}` : ''}`;
}

/** Where the 已联网 condition stands (given while surveyed or installed): the API's shortfall words, or that it is met. */
export function networkText(n: FileOut['network']): string {
  if (!n) return '';
  if (!n.complete) return `联网条件未满足：${n.text}`;
  return `联网条件已满足：${n.registered} 个点位均已收到数据，平台将记为已联网`;
}

/** Steps done after their deadline, with how late (calendar days), in the dashboard drawer's words. */
export function lateTexts(f: FileOut): string[] {
  return f.late_steps.map((s) => `${s.step_name}逾期完成：${s.done_on} 完成，截止 ${s.due}，逾期 ${s.days_late} 天`);
}
