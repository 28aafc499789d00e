/**
 * Number formatting for the tables: three significant figures with an SI suffix, so a column
 * reads at a glance ("196k", "4.21M", "0.85").
 */
import type { Summary } from './stats.js';

const SUFFIXES: ReadonlyArray<[number, string]> = [
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
];

/** `1234567` → `1.23M`; `0.8512` → `0.851`; `640.2` → `640`. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  for (const [scale, suffix] of SUFFIXES) {
    if (magnitude >= scale * 0.9995) return `${significant(value / scale)}${suffix}`;
  }
  return significant(value);
}

function significant(value: number): string {
  const magnitude = Math.abs(value);
  if (magnitude === 0) return '0';
  if (magnitude >= 100) return value.toFixed(0);
  if (magnitude >= 10) return value.toFixed(1);
  if (magnitude >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

/** `median (min–max)`, the shape of every cell. */
export function formatSummary(summary: Summary): string {
  if (summary.count === 1) return formatNumber(summary.median);
  return `${formatNumber(summary.median)} (${formatNumber(summary.min)}–${formatNumber(summary.max)})`;
}

/** A ratio such as `2.31×`. */
export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return '—';
  return `${ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}×`;
}

/** A fraction of one core as a percentage, e.g. `0.973` → `97%`. */
export function formatPercent(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}

/** `16 B`, `1 KiB`, `64 KiB`, `1 MiB`. */
export function sizeLabel(size: number): string {
  if (size >= 1024 * 1024) return `${size / (1024 * 1024)} MiB`;
  if (size >= 1024) return `${size / 1024} KiB`;
  return `${size} B`;
}
