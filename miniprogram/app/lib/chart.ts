// A small hand-drawn canvas line chart (ECharts for mini-programs weighs ~1 MB; one line of power needs none of it).
export interface SeriesPoint {
  t: number; // epoch ms
  v: number | null; // null: no data, the line breaks there
}

export interface Box {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export interface Scaled {
  segments: Array<Array<{ x: number; y: number }>>; // a gap in the data starts a new segment
  yMax: number;
  yMin: number;
}

/** Pixel coordinates of the points over [t0, t1]; the y axis starts at 0 unless values go negative. */
export function scale(points: SeriesPoint[], t0: number, t1: number, box: Box): Scaled {
  const values = points.map((p) => p.v).filter((v): v is number => v !== null && Number.isFinite(v));
  const yMin = Math.min(0, ...values);
  const rawMax = Math.max(0, ...values);
  const yMax = rawMax === yMin ? yMin + 1 : rawMax * 1.1;
  const w = box.width - box.left - box.right;
  const h = box.height - box.top - box.bottom;
  const span = Math.max(1, t1 - t0);
  const segments: Scaled['segments'] = [];
  let current: Array<{ x: number; y: number }> = [];
  for (const p of points) {
    if (p.v === null || !Number.isFinite(p.v) || p.t < t0 || p.t > t1) {
      if (current.length) segments.push(current);
      current = [];
      continue;
    }
    current.push({
      x: box.left + ((p.t - t0) / span) * w,
      y: box.top + h - ((p.v - yMin) / (yMax - yMin)) * h,
    });
  }
  if (current.length) segments.push(current);
  return { segments, yMax, yMin };
}

/** The drawing calls of a 2d canvas context that the chart uses. */
export interface Ctx2d {
  clearRect(x: number, y: number, w: number, h: number): void;
  beginPath(): void;
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
  stroke(): void;
  fillText(text: string, x: number, y: number): void;
  strokeStyle: string;
  fillStyle: string;
  lineWidth: number;
  font: string;
}

/** Draw the axes, the hour marks 0/6/12/18/24 and the line; "无数据" when there is nothing to draw. */
export function drawLine(ctx: Ctx2d, points: SeriesPoint[], t0: number, t1: number, box: Box, unit: string): void {
  const { segments, yMax } = scale(points, t0, t1, box);
  const bottom = box.height - box.bottom;
  ctx.clearRect(0, 0, box.width, box.height);
  ctx.font = '10px sans-serif';
  ctx.fillStyle = '#888';
  ctx.strokeStyle = '#ddd';
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(box.left, box.top);
  ctx.lineTo(box.left, bottom);
  ctx.lineTo(box.width - box.right, bottom);
  ctx.stroke();
  ctx.fillText(`${yMax.toFixed(yMax < 10 ? 1 : 0)} ${unit}`, 2, box.top + 8);
  for (const hour of [0, 6, 12, 18, 24]) {
    const x = box.left + (hour / 24) * (box.width - box.left - box.right);
    ctx.fillText(String(hour), x - 4, box.height - 2);
  }
  if (!segments.length) {
    ctx.fillText('无数据', box.width / 2 - 15, box.height / 2);
    return;
  }
  ctx.strokeStyle = '#0052d9';
  ctx.lineWidth = 1.5;
  for (const seg of segments) {
    ctx.beginPath();
    seg.forEach((pt, k) => (k === 0 ? ctx.moveTo(pt.x, pt.y) : ctx.lineTo(pt.x, pt.y)));
    ctx.stroke();
  }
}
