/**
 * The markdown tables `npm run bench` prints: one row per measured figure, one column per
 * implementation, then the ratios that the targets are stated in.
 */
import { formatPercent, formatRatio, formatSummary } from './format.js';
import { summarize } from './stats.js';

/**
 * The implementations measured side by side: the physical baseline, `ws`, ours, and Bun's
 * built-in server (an anchor from outside Node; its column shows only where it was measured).
 */
export type Impl = 'raw' | 'ws' | 'ours' | 'bun';
export const IMPLS: readonly Impl[] = ['raw', 'ws', 'ours', 'bun'];

/** A goal stated as a ratio of medians: ours / ws (or ours / raw) at least or at most `ratio`. */
export interface Target {
  versus: 'ws' | 'raw';
  ratio: number;
  /** `higher`: ours/versus must be ≥ ratio; `lower`: ≤ ratio. */
  better: 'higher' | 'lower';
}

export interface Row {
  label: string;
  /** One value per round, per implementation; an implementation without values shows `—`. */
  values: Partial<Record<Impl, number[]>>;
  /** Why an implementation has no figure (shown instead of it), e.g. `n/a (not negotiated)`. */
  unavailable?: Partial<Record<Impl, string>>;
  target?: Target;
}

export interface Table {
  title: string;
  /** The baseline's column heading (`raw TCP`, `memcpy`); no baseline column when absent. */
  rawLabel?: string;
  /** Headings instead of 'ws' and 'rfc6455' (and the baseline's), for scenarios that compare other things. */
  columns?: Partial<Record<Impl, string>>;
  rows: Row[];
  notes?: string[];
}

export function median(values: readonly number[] | undefined): number | undefined {
  return values === undefined || values.length === 0 ? undefined : summarize(values).median;
}

/** ours / other, from medians; undefined when either is missing. */
export function ratioOf(row: Row, other: Impl): number | undefined {
  const ours = median(row.values.ours);
  const base = median(row.values[other]);
  return ours === undefined || base === undefined || base === 0 ? undefined : ours / base;
}

/** Whether the row meets its target; undefined when it has none or lacks the figures. */
export function targetMet(row: Row): boolean | undefined {
  const t = row.target;
  if (t === undefined) return undefined;
  const r = ratioOf(row, t.versus);
  if (r === undefined) return undefined;
  return t.better === 'higher' ? r >= t.ratio : r <= t.ratio;
}

export function describeTarget(t: Target, rawLabel = 'raw'): string {
  return `${t.better === 'higher' ? '≥' : '≤'} ${t.ratio}× ${t.versus === 'ws' ? 'ws' : rawLabel}`;
}

function cell(row: Row, impl: Impl): string {
  const reason = row.unavailable?.[impl];
  if (reason !== undefined) return reason;
  const values = row.values[impl];
  return values === undefined || values.length === 0 ? '—' : formatSummary(summarize(values));
}

/** Whether any row has a Bun figure or a reason for lacking one: the Bun column shows only then. */
function hasBun(table: Table): boolean {
  return table.rows.some((r) => (r.values.bun?.length ?? 0) > 0 || r.unavailable?.bun !== undefined);
}

export function renderTable(table: Table): string {
  const hasRaw = table.rawLabel !== undefined;
  const bun = hasBun(table);
  const hasTarget = table.rows.some((r) => r.target !== undefined);
  const ws = table.columns?.ws ?? 'ws';
  const ours = table.columns?.ours ?? 'rfc6455';
  const bunLabel = table.columns?.bun ?? 'Bun';
  const head = ['', ...(hasRaw ? [table.rawLabel!] : []), ws, ours, ...(bun ? [bunLabel] : []), `${ours}/${ws}`];
  if (bun) head.push(`${ours}/${bunLabel}`);
  if (hasRaw) head.push(`${ours}/${table.rawLabel!}`);
  if (hasTarget) head.push('target');
  const lines = [`### ${table.title}`, '', `| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const row of table.rows) {
    const cells = [row.label];
    if (hasRaw) cells.push(cell(row, 'raw'));
    cells.push(cell(row, 'ws'), cell(row, 'ours'));
    if (bun) cells.push(cell(row, 'bun'));
    cells.push(ratioCell(row, 'ws'));
    if (bun) cells.push(ratioCell(row, 'bun'));
    if (hasRaw) cells.push(ratioCell(row, 'raw'));
    if (hasTarget) cells.push(targetCell(row, table.rawLabel));
    lines.push(`| ${cells.join(' | ')} |`);
  }
  for (const note of table.notes ?? []) lines.push('', note);
  return lines.join('\n');
}

function ratioCell(row: Row, other: Impl): string {
  const r = ratioOf(row, other);
  return r === undefined ? '—' : formatRatio(r);
}

function targetCell(row: Row, rawLabel: string | undefined): string {
  if (row.target === undefined) return '';
  const met = targetMet(row);
  const mark = met === undefined ? '?' : met ? '✓ met' : '✗ missed';
  return `${describeTarget(row.target, rawLabel)} ${mark}`;
}

/**
 * CPU use during each measurement, in fractions of one core: the server, the load generator, and
 * every other process of the machine (the noise).
 */
export interface CpuRow {
  label: string;
  server: Partial<Record<Impl, number[]>>;
  load: Partial<Record<Impl, number[]>>;
  other: Partial<Record<Impl, number[]>>;
}

/**
 * The check that the load generator is not the bottleneck: a server near 100% of its core with
 * the load generator well below 100% of its own means the server is what is being measured.
 * "other" near 0% means nothing else competed for the cores.
 */
export function renderCpuTable(title: string, rows: CpuRow[], rawLabel = 'raw TCP'): string {
  const impls = IMPLS.filter((impl) => rows.some((r) => (r.server[impl]?.length ?? 0) > 0));
  const names: Record<Impl, string> = { raw: rawLabel, ws: 'ws', ours: 'rfc6455', bun: 'Bun' };
  const head = ['', ...impls.map((i) => `${names[i]}: server / load / other`)];
  const lines = [`#### ${title}`, '', `| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const row of rows) {
    const cells = [row.label];
    for (const impl of impls) {
      const s = median(row.server[impl]);
      const l = median(row.load[impl]);
      const o = median(row.other[impl]);
      cells.push(s === undefined || l === undefined ? '—' : `${formatPercent(s)} / ${formatPercent(l)} / ${o === undefined ? '?' : formatPercent(o)}`);
    }
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
