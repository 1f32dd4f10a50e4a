// The report's charts, as plain SVG text: stacked bars (vertical for a timeline or histogram, horizontal for a
// breakdown) and lines. No library: four chart shapes over already-aggregated numbers (see docs/design.md for why).
// Every data mark has class "mark" and a <title> with its numbers; the page also shows them in a table.
import { escapeHtml as esc } from './escape.js';

export interface Series {
  name: string;
  color: string;
  values: readonly number[];
}

export interface Marker {
  /** Position on the x axis, in category index units (fractional allowed). */
  x: number;
  color: string;
  label: string;
}

const FONT = 'font-family="system-ui,-apple-system,Segoe UI,Roboto,sans-serif" font-size="11"';

/** 1, 2, 5 x 10^k at or above max / count: readable axis steps. */
export function niceStep(max: number, count = 5): number {
  if (max <= 0) return 1;
  const raw = max / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return '-';
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  return n.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

export interface ColumnChartOptions {
  title: string;
  categories: readonly string[];
  series: readonly Series[];
  /** Show every n-th category label (default: about 8 labels). */
  labelEvery?: number;
  yLabel: string;
  markers?: readonly Marker[];
  width?: number;
  height?: number;
}

/** Vertical stacked columns: a timeline (one column per interval) or a histogram. */
export function columnChart(o: ColumnChartOptions): string {
  const width = o.width ?? 860;
  const height = o.height ?? 260;
  const totals = o.categories.map((_, i) => o.series.reduce((a, s) => a + (s.values[i] ?? 0), 0));
  const f = intervalFrame(width, height, o.categories.length, Math.max(0, ...totals), o.yLabel);
  const { m, bw, y } = f;
  const parts: string[] = [f.axis];
  for (let i = 0; i < o.categories.length; i++) {
    let acc = 0;
    for (const s of o.series) {
      const v = s.values[i] ?? 0;
      if (v <= 0) continue;
      const y0 = y(acc);
      const y1 = y(acc + v);
      acc += v;
      parts.push(`<rect class="mark" x="${r2(m.left + i * bw + (bw > 3 ? 0.5 : 0))}" y="${r2(y1)}" width="${r2(Math.max(0.6, bw - (bw > 3 ? 1 : 0)))}" height="${r2(Math.max(0.5, y0 - y1))}" fill="${s.color}"><title>${esc(`${o.categories[i]}: ${s.name} ${formatNumber(v)}`)}</title></rect>`);
    }
  }
  parts.push(...f.labelsAndMarkers(o.categories, o.labelEvery, o.markers));
  return frame(o.title, width, height, parts, o.series);
}

export interface BarChartOptions {
  title: string;
  categories: readonly string[];
  series: readonly Series[];
  xLabel: string;
  width?: number;
}

/** Horizontal stacked bars, one per category: a breakdown. */
export function barChart(o: BarChartOptions): string {
  const width = o.width ?? 680;
  const labelWidth = Math.min(300, 20 + 6.6 * Math.max(4, ...o.categories.map((c) => c.length)));
  const row = 22;
  const m = { left: labelWidth, right: 70, top: 10, bottom: 40 };
  const height = m.top + m.bottom + row * Math.max(1, o.categories.length);
  const w = width - m.left - m.right;
  const totals = o.categories.map((_, i) => o.series.reduce((a, s) => a + (s.values[i] ?? 0), 0));
  const max = Math.max(0, ...totals);
  const { step, top: right } = scaleTop(max);
  const x = (v: number) => m.left + (v / right) * w;
  const parts: string[] = [];
  for (let v = 0; v <= right + 1e-9; v += step) {
    parts.push(`<line x1="${r2(x(v))}" x2="${r2(x(v))}" y1="${m.top}" y2="${height - m.bottom}" stroke="#e3e3e3"/>`);
    parts.push(`<text x="${r2(x(v))}" y="${height - m.bottom + 14}" text-anchor="middle" fill="#444">${formatNumber(v)}</text>`);
  }
  parts.push(`<text x="${r2(m.left + w / 2)}" y="${height - 8}" text-anchor="middle" fill="#444">${esc(o.xLabel)}</text>`);
  o.categories.forEach((c, i) => {
    const yTop = m.top + i * row + 3;
    parts.push(`<text x="${m.left - 6}" y="${yTop + 12}" text-anchor="end" fill="#222">${esc(c)}</text>`);
    let acc = 0;
    for (const s of o.series) {
      const v = s.values[i] ?? 0;
      if (v <= 0) continue;
      parts.push(`<rect class="mark" x="${r2(x(acc))}" y="${yTop}" width="${r2(Math.max(0.8, x(acc + v) - x(acc)))}" height="${row - 6}" fill="${s.color}"><title>${esc(`${c}: ${s.name} ${formatNumber(v)}`)}</title></rect>`);
      acc += v;
    }
    parts.push(`<text x="${r2(x(acc) + 4)}" y="${yTop + 12}" fill="#222">${formatNumber(totals[i]!)}</text>`);
  });
  return frame(o.title, width, height, parts, o.series.length > 1 ? o.series : []);
}

export interface LineChartOptions {
  title: string;
  categories: readonly string[];
  series: readonly { name: string; color: string; values: readonly (number | null)[]; dashed?: boolean }[];
  yLabel: string;
  markers?: readonly Marker[];
  width?: number;
  height?: number;
}

/** Lines over the same intervals as a column chart (rate, in-pipeline count, waiting time against its limit). */
export function lineChart(o: LineChartOptions): string {
  const width = o.width ?? 860;
  const height = o.height ?? 200;
  const max = Math.max(0, ...o.series.flatMap((s) => s.values.filter((v): v is number => v !== null)));
  const f = intervalFrame(width, height, o.categories.length, max, o.yLabel);
  const { m, bw, y } = f;
  const parts: string[] = [f.axis];
  for (const s of o.series) {
    let d = '';
    let pen = false;
    // Intervals without a measurement are skipped: the line joins the measured ones.
    s.values.forEach((v, i) => {
      if (v === null) return;
      d += `${pen ? 'L' : 'M'}${r2(m.left + i * bw + bw / 2)},${r2(y(v))}`;
      pen = true;
    });
    if (!d) continue;
    // A single point still draws: a short flat segment.
    if (!d.includes('L')) d += `h${r2(Math.max(2, bw / 2))}`;
    parts.push(`<path class="mark" d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}><title>${esc(s.name)}</title></path>`);
  }
  parts.push(...f.labelsAndMarkers(o.categories, undefined, o.markers));
  return frame(o.title, width, height, parts, o.series.map((s) => ({ name: s.name, color: s.color, values: [] })));
}

/** A round value at or above `max` for a scale's end, and the step of its grid lines. */
function scaleTop(max: number): { step: number; top: number } {
  const step = niceStep(max);
  return { step, top: Math.max(step, Math.ceil(max / step) * step) };
}

/**
 * Where the interval charts (columns, lines) draw: inside the margins, one slot of width `bw` per category, y
 * from 0 up to a round value above `max`, with its axis; and, under the slots, every n-th category's label
 * (about 8 in all unless told) and the marker lines.
 */
function intervalFrame(width: number, height: number, categories: number, max: number, yLabel: string) {
  const m = { left: 56, right: 12, top: 12, bottom: 46 };
  const w = width - m.left - m.right;
  const h = height - m.top - m.bottom;
  const n = Math.max(1, categories);
  const bw = w / n;
  const { step, top } = scaleTop(max);
  const y = (v: number) => m.top + h - (v / top) * h;
  return {
    m, bw, y,
    axis: axisY(m.left, w, top, step, y, yLabel, m.top, h),
    labelsAndMarkers(labels: readonly string[], labelEvery: number | undefined, markers: readonly Marker[] = []): string[] {
      const parts: string[] = [];
      const every = labelEvery ?? Math.max(1, Math.ceil(n / 8));
      for (let i = 0; i < labels.length; i += every) {
        parts.push(`<text x="${r2(m.left + i * bw + bw / 2)}" y="${m.top + h + 14}" text-anchor="middle" fill="#444">${esc(labels[i]!)}</text>`);
      }
      parts.push(...markerLines(markers, (x) => m.left + x * bw, m.top, h));
      return parts;
    },
  };
}

function axisY(left: number, w: number, top: number, step: number, y: (v: number) => number, label: string, mTop: number, h: number): string {
  const parts: string[] = [];
  for (let v = 0; v <= top + 1e-9; v += step) {
    parts.push(`<line x1="${left}" x2="${left + w}" y1="${r2(y(v))}" y2="${r2(y(v))}" stroke="#e3e3e3"/>`);
    parts.push(`<text x="${left - 6}" y="${r2(y(v) + 4)}" text-anchor="end" fill="#444">${formatNumber(v)}</text>`);
  }
  parts.push(`<text transform="translate(12 ${r2(mTop + h / 2)}) rotate(-90)" text-anchor="middle" fill="#444">${esc(label)}</text>`);
  return parts.join('');
}

function markerLines(markers: readonly Marker[], xOf: (x: number) => number, top: number, h: number): string[] {
  return markers.map((mk) => {
    const x = r2(xOf(mk.x));
    return `<g class="marker"><line x1="${x}" x2="${x}" y1="${top}" y2="${top + h}" stroke="${mk.color}" stroke-width="1.5" stroke-dasharray="3 2"/><path d="M${x},${top}l-4,-0l4,7l4,-7z" fill="${mk.color}"/><title>${esc(mk.label)}</title></g>`;
  });
}

function frame(title: string, width: number, height: number, parts: string[], legend: readonly Series[]): string {
  const legendHtml = legend.length === 0 ? '' : `<div class="legend">${legend.map((s) => `<span><i style="background:${s.color}"></i>${esc(s.name)}</span>`).join('')}</div>`;
  return `<figure class="chart"><svg class="chart" role="img" aria-label="${esc(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" ${FONT}>${parts.join('')}</svg>${legendHtml}</figure>`;
}

function r2(v: number): string {
  return String(Math.round(v * 10) / 10);
}
