// Beijing time for people: the API's +08:00 instants shown as 北京时间, and the time left before a deadline.
const BEIJING_MS = 8 * 3600 * 1000;

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** "12-06 14:05" in Beijing time, whatever the phone's time zone; "—" for a missing or unreadable time. */
export function beijing(iso: string | null | undefined, withDate = true): string {
  const ms = iso ? Date.parse(iso) : NaN;
  if (Number.isNaN(ms)) return '—';
  const d = new Date(ms + BEIJING_MS);
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  return withDate ? `${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${time}` : time;
}

/** An instant as the API wants it: ISO 8601 with +08:00. */
export function isoBeijing(ms: number): string {
  const d = new Date(ms + BEIJING_MS);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}+08:00`
  );
}

/** The Beijing calendar day of an instant, "2026-12-06". */
export function beijingDay(ms: number): string {
  return isoBeijing(ms).slice(0, 10);
}

/** Midnight (Beijing) that starts the day of `ms`. */
export function beijingMidnight(ms: number): number {
  return Date.parse(`${beijingDay(ms)}T00:00:00+08:00`);
}

/** A picker's date and time ("2026-12-06", "14:05") read as Beijing time; NaN when incomplete. */
export function fromPicker(date: string, time: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || !/^\d{2}:\d{2}$/.test(time)) return NaN;
  return Date.parse(`${date}T${time}:00+08:00`);
}

export interface TimeLeft {
  text: string;
  overdue: boolean;
  urgent: boolean; // under 30 minutes left
}

/** "剩余 1小时05分" / "已超时 12分钟" before a deadline; null without one. */
export function timeLeft(due: string | null | undefined, nowMs: number): TimeLeft | null {
  const at = due ? Date.parse(due) : NaN;
  if (Number.isNaN(at)) return null;
  const seconds = Math.round((at - nowMs) / 1000);
  const minutes = Math.floor(Math.abs(seconds) / 60);
  const words = minutes >= 60 ? `${Math.floor(minutes / 60)}小时${pad(minutes % 60)}分` : `${minutes}分钟`;
  if (seconds < 0) return { text: `已超时 ${words}`, overdue: true, urgent: true };
  return { text: `剩余 ${words}`, overdue: false, urgent: seconds < 30 * 60 };
}
