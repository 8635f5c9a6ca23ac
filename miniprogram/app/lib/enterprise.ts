// The enterprise account's own enterprise: the first of its enterprise_ids (an enterprise account has one).
import { loadSession } from './session';

export function myEnterpriseId(): string | null {
  return loadSession()?.account.enterprise_ids[0] ?? null;
}

export interface Segment {
  start: string;
  end: string;
  state: string;
  state_name: string;
}

/** The state now: the last segment of the day (the timeline ends at now). */
export function lastState(segments: Segment[]): { state: string; name: string } {
  const last = segments[segments.length - 1];
  return last ? { state: last.state, name: last.state_name } : { state: 'no_data', name: '无数据' };
}
