import { expect, test } from '@jest/globals';
import { drawLine, scale, type Ctx2d } from '../../app/lib/chart';
import { distanceKm, distanceText } from '../../app/lib/geo';
import { measureWords } from '../../app/lib/measures';
import { mnFromScan } from '../../app/lib/terminal';
import { beijing, beijingDay, fromPicker, isoBeijing, timeLeft } from '../../app/lib/time';

test('Beijing time whatever the phone says, and the time left before a deadline', () => {
  expect(beijing('2026-12-06T02:05:00Z')).toBe('12-06 10:05');
  expect(beijing('2026-12-06T23:30:00+08:00', false)).toBe('23:30');
  expect(beijing(null)).toBe('—');
  expect(isoBeijing(Date.parse('2026-12-05T16:00:00Z'))).toBe('2026-12-06T00:00:00+08:00');
  expect(beijingDay(Date.parse('2026-12-05T16:30:00Z'))).toBe('2026-12-06');
  expect(fromPicker('2026-12-06', '08:00')).toBe(Date.parse('2026-12-06T00:00:00Z'));
  expect(fromPicker('2026-12-06', '')).toBeNaN();
  const now = Date.parse('2026-12-06T10:00:00+08:00');
  expect(timeLeft('2026-12-06T11:05:00+08:00', now)).toEqual({ text: '剩余 1小时05分', overdue: false, urgent: false });
  expect(timeLeft('2026-12-06T10:20:00+08:00', now)).toEqual({ text: '剩余 20分钟', overdue: false, urgent: true });
  expect(timeLeft('2026-12-06T09:48:00+08:00', now)).toEqual({ text: '已超时 12分钟', overdue: true, urgent: true });
  expect(timeLeft(null, now)).toBeNull();
});

test('the chart scales into its box, breaks the line at gaps and says 无数据 without data', () => {
  const box = { width: 100, height: 60, left: 10, right: 10, top: 10, bottom: 10 };
  const s = scale([{ t: 0, v: 0 }, { t: 50, v: 10 }, { t: 60, v: null }, { t: 100, v: 5 }], 0, 100, box);
  expect(s.segments).toHaveLength(2);
  expect(s.segments[0][0]).toEqual({ x: 10, y: 50 }); // t0, zero at the bottom
  expect(s.segments[0][1].x).toBe(50);
  expect(s.segments[0][1].y).toBeCloseTo(50 - (10 / 11) * 40);
  const calls: string[] = [];
  const ctx = new Proxy({} as Ctx2d, {
    get: (_t, name: string) => (...args: unknown[]) => calls.push(`${name}(${args.join(',')})`),
    set: () => true,
  });
  drawLine(ctx, [], 0, 100, box, 'kW');
  expect(calls).toContain('fillText(无数据,35,30)');
});

test('distance, MN from a scanned label, emergency measures in words', () => {
  expect(distanceKm({ lat: 32.39, lon: 120.56 }, { lat: 32.39, lon: 120.56 })).toBe(0);
  expect(distanceKm({ lat: 32.0, lon: 120.0 }, { lat: 33.0, lon: 120.0 })).toBeCloseTo(111.2, 0);
  expect(distanceText(0.45)).toBe('450 米');
  expect(distanceText(12.34)).toBe('12.3 公里');
  expect(mnFromScan('  MN0001RG  ')).toBe('MN0001RG');
  expect(mnFromScan('https://x.example/t?MN=88888880000001&v=2')).toBe('88888880000001');
  expect(mnFromScan('型号:ABC 序列号')).toBeNull();
  expect(measureWords({ stop_points: ['pt-1'], energy_share: 0.5, forbidden_hours: [[8, 12]] }, { 'pt-1': '1号线' })).toEqual([
    '停止运行：1号线',
    '用电量不超过基准的 50%',
    '8:00–12:00 禁止生产',
  ]);
  expect(measureWords(null, {})).toEqual(['本级别未设定本企业的管控措施，请按预警通知执行']);
});
