// An enterprise's emergency measures (应急减排措施) of one alert level, in words.
export interface LevelMeasures {
  stop_points?: string[];
  energy_share?: number | null;
  forbidden_hours?: number[][];
}
export type Measures = Partial<Record<'yellow' | 'orange' | 'red', LevelMeasures | null>>;

/** The measures of one level in words. */
export function measureWords(m: LevelMeasures | null | undefined, pointNames: Record<string, string>): string[] {
  if (!m) return ['本级别未设定本企业的管控措施，请按预警通知执行'];
  const words: string[] = [];
  if (m.stop_points?.length) words.push(`停止运行：${m.stop_points.map((p) => pointNames[p] ?? p).join('、')}`);
  if (m.energy_share !== null && m.energy_share !== undefined) {
    words.push(`用电量不超过基准的 ${Math.round(m.energy_share * 100)}%`);
  }
  for (const [from, to] of m.forbidden_hours ?? []) words.push(`${from}:00–${to}:00 禁止生产`);
  return words.length ? words : ['本级别未设定本企业的管控措施，请按预警通知执行'];
}

/** Whether an alert covers the enterprise: no list means the whole county. */
export function alertApplies(
  alert: { enterprise_ids?: string[] | null; town_ids?: string[] | null },
  enterpriseId: string,
  townId: string,
): boolean {
  if (alert.enterprise_ids && !alert.enterprise_ids.includes(enterpriseId)) return false;
  if (alert.town_ids && !alert.town_ids.includes(townId)) return false;
  return true;
}
