// The commissioning checklist judged from the data itself: the point's newest reading and the terminal's GPS.
export type Verdict = 'pass' | 'fail' | 'unknown';

export interface Check {
  key: string;
  title: string;
  verdict: Verdict;
  detail: string;
}

type Values = Record<string, number | null | undefined>;

const MIN_PHASE_VOLTAGE_V = 50; // far below 220 V: a phase that reads less is not connected
const NEGATIVE_POWER_KW = -0.05; // noise around zero is not a reversed CT
const SEQUENCE_TOLERANCE_DEG = 25;
const PAIRING_TOLERANCE_DEG = 60; // a current this far from its own phase's voltage sits on another phase

function num(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** (a - b) as an angle in [0, 360). */
function lag(a: number, b: number): number {
  return (((a - b) % 360) + 360) % 360;
}

function voltageCheck(v: Values): Check {
  const phases = ['ua', 'ub', 'uc'] as const;
  const missing = phases.filter((q) => !num(v[q]));
  const low = phases.filter((q) => num(v[q]) && (v[q] as number) < MIN_PHASE_VOLTAGE_V);
  const title = '三相电压均有';
  if (low.length) {
    return { key: 'voltage', title, verdict: 'fail', detail: `${low.map((q) => q.slice(1).toUpperCase()).join('、')}相无电压` };
  }
  if (missing.length) {
    return { key: 'voltage', title, verdict: 'unknown', detail: `最新数据缺少${missing.map((q) => q.slice(1).toUpperCase()).join('、')}相电压` };
  }
  return { key: 'voltage', title, verdict: 'pass', detail: phases.map((q) => `${(v[q] as number).toFixed(0)}V`).join(' / ') };
}

function directionCheck(v: Values): Check {
  const title = '电流方向正确（无负功率）';
  const present = (['pa', 'pb', 'pc', 'p'] as const).filter((q) => num(v[q]));
  if (!present.length) return { key: 'direction', title, verdict: 'unknown', detail: '最新数据没有有功功率' };
  const negative = present.filter((q) => (v[q] as number) < NEGATIVE_POWER_KW);
  if (negative.length) {
    const names = negative.map((q) => (q === 'p' ? '总' : `${q.slice(1).toUpperCase()}相`)).join('、');
    return { key: 'direction', title, verdict: 'fail', detail: `${names}有功功率为负：电流互感器可能接反` };
  }
  return { key: 'direction', title, verdict: 'pass', detail: '各相有功功率均不为负' };
}

function sequenceCheck(v: Values): Check {
  const title = '相序正确（未接错相）';
  const u = [v.angle_ua, v.angle_ub, v.angle_uc];
  const i = [v.angle_ia, v.angle_ib, v.angle_ic];
  if (!u.every(num)) return { key: 'sequence', title, verdict: 'unknown', detail: '最新数据没有电压相角，无法判断' };
  const [a, b, c] = u as number[];
  const positive =
    Math.abs(lag(a, b) - 120) <= SEQUENCE_TOLERANCE_DEG && Math.abs(lag(b, c) - 120) <= SEQUENCE_TOLERANCE_DEG;
  if (!positive) return { key: 'sequence', title, verdict: 'fail', detail: '电压相序不是 A→B→C（正序）' };
  if (i.every(num)) {
    const wrong = [0, 1, 2].filter((k) => {
      const d = lag(i[k] as number, u[k] as number);
      return Math.min(d, 360 - d) > PAIRING_TOLERANCE_DEG;
    });
    if (wrong.length) {
      const names = wrong.map((k) => 'ABC'[k]).join('、');
      return { key: 'sequence', title, verdict: 'fail', detail: `${names}相电流与本相电压不对应：电流互感器接错相` };
    }
    return { key: 'sequence', title, verdict: 'pass', detail: '电压正序，各相电流与本相电压对应' };
  }
  return { key: 'sequence', title, verdict: 'pass', detail: '电压正序（没有电流相角，未核对电流）' };
}

function gpsCheck(gps: { lat: number; lon: number } | null | undefined): Check {
  const title = '有定位（GPS）';
  if (gps && num(gps.lat) && num(gps.lon) && !(gps.lat === 0 && gps.lon === 0)) {
    return { key: 'gps', title, verdict: 'pass', detail: `${gps.lat.toFixed(5)}, ${gps.lon.toFixed(5)}` };
  }
  return { key: 'gps', title, verdict: 'fail', detail: '终端没有上报定位' };
}

/** The four checks; every one must pass before the trial run starts. */
export function commissioningChecks(values: Values | null, gps: { lat: number; lon: number } | null | undefined): Check[] {
  const v = values ?? {};
  return [voltageCheck(v), directionCheck(v), sequenceCheck(v), gpsCheck(gps)];
}

export function allPass(checks: Check[]): boolean {
  return checks.every((c) => c.verdict === 'pass');
}
