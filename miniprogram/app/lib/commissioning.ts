// Commissioning as the platform records it (POST /terminals/{mn}/commissioning): the server judges voltage,
// current direction, phase order and GPS from the newest reading; the page only shows its verdicts.
import { beijing } from './time';

export interface CheckOut {
  key: string;
  title: string;
  verdict: 'pass' | 'fail' | 'unknown';
  verdict_name: string;
  detail: string;
}

export interface EntryOut {
  entry_id: string;
  at: string;
  checks: CheckOut[];
  passed: boolean | null;
  photo_ids: string[];
}

export interface CommissioningOut {
  entry: EntryOut;
  reading_at: string | null;
  install_status_before: string;
  install_status: string;
}

export interface CommissioningView {
  head: string;
  passed: boolean;
  checks: Array<{ key: string; title: string; verdict: string; verdictName: string; detail: string; mark: string }>;
  next: string;
}

const MARKS: Record<string, string> = { pass: '✔', fail: '✘', unknown: '？' };
// InstallStatus codes (monitoring/registry/models.py) in words
const INSTALL_NAMES: Record<string, string> = {
  pending_survey: '待勘察',
  surveyed: '已勘察',
  installed: '已安装',
  networked: '已联网',
  trial_run: '试运行',
  accepted: '已验收',
  filed: '已备案',
};

export function installName(code: string): string {
  return INSTALL_NAMES[code] ?? code;
}

/** The record for the page; with the POST's answer, what it did to the enterprise's installation progress. */
export function commissioningView(entry: EntryOut, out?: CommissioningOut): CommissioningView {
  const passed = entry.passed === true;
  const reading = out ? (out.reading_at ? `，依据 ${beijing(out.reading_at)} 的数据` : '，终端尚无数据') : '';
  let next = passed
    ? '全部通过：平台记为已联网，从首日数据起自动开始试运行（连续工作日数据完整率达标即通过）'
    : '未全部通过（“无法判断”不算通过）：请排查后点“读取实时数据”，再提交调试复查';
  if (out && out.install_status !== out.install_status_before) {
    next += `；企业安装进度已由“${installName(out.install_status_before)}”推进为“${installName(out.install_status)}”`;
  } else if (out) {
    next += `；企业安装进度：${installName(out.install_status)}`;
  }
  return {
    head: `调试记录 ${beijing(entry.at)}${reading}：${passed ? '通过' : '未通过'}`,
    passed,
    checks: entry.checks.map((c) => ({
      key: c.key,
      title: c.title,
      verdict: c.verdict,
      verdictName: c.verdict_name,
      detail: c.detail,
      mark: MARKS[c.verdict] ?? '？',
    })),
    next,
  };
}
