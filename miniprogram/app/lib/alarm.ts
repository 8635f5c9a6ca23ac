// When an enterprise may still answer an alarm, and the time left in words; the list order (time left first).
import { timeLeft, type TimeLeft } from './time';

// The API accepts a response while the alarm is pending or, after the 2 h escalation, dispatched to the branch
// (monitoring/alarms/service.py respond); response_due is set until it is answered (listing.py deadlines).
const ANSWERABLE = new Set(['pending', 'dispatched']);
export const LATE_TEXT = '已超时，仍可补报（记为逾期）';
export const TICK_MS = 30_000; // countdowns are redrawn this often

export interface AlarmTimes {
  state: string;
  response_due?: string | null;
  created_at: string;
}

export function answerable(a: AlarmTimes): boolean {
  return typeof a.response_due === 'string' && ANSWERABLE.has(a.state);
}

/** The time left to respond, or the late notice once it passed; null when the alarm is not answerable. */
export function responseLeft(a: AlarmTimes, nowMs: number): TimeLeft | null {
  if (!answerable(a)) return null;
  const left = timeLeft(a.response_due, nowMs);
  return left && left.overdue ? { ...left, text: LATE_TEXT } : left;
}

/** Answerable alarms first by their response deadline, then the rest newest first. */
export function byTimeLeft<T extends AlarmTimes>(items: T[]): T[] {
  const due = (a: T) => (answerable(a) ? Date.parse(a.response_due as string) : Number.POSITIVE_INFINITY);
  return [...items].sort((a, b) => due(a) - due(b) || Date.parse(b.created_at) - Date.parse(a.created_at));
}
