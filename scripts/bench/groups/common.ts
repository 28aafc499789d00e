/**
 * What every scenario group shares: the run's context, and the loop that measures several
 * servers with the same load, round by round, with the order of servers rotated each round so
 * that no implementation always runs first (or always right after a heavy one).
 */
import { findBun } from '../bun.js';
import type { BenchConfig } from '../config.js';
import type { Endpoint, Job, LoadResult } from '../jobs.js';
import { type Launch, type LoadGenerator, type RunningServer, type ServerSpec, startServer } from '../processes.js';
import { type QuietGate, waitForQuiet } from '../quiet.js';
import type { CpuRow, Impl, Row, Table, Target } from '../table.js';

export interface Context {
  config: BenchConfig;
  loadgen: LoadGenerator;
  launch: Launch;
  /** Wait for other processes to go quiet before each measurement; null: never wait. */
  quiet: QuietGate | null;
  /** Progress, on stderr. */
  log(message: string): void;
}

/** Call before each measurement: waits out other processes' bursts of work (see quiet.ts). */
export async function beforeMeasuring(ctx: Context): Promise<void> {
  if (ctx.quiet !== null) await waitForQuiet(ctx.quiet, ctx.log);
}

export interface GroupOutput {
  tables: Table[];
  cpu?: { title: string; rows: CpuRow[]; rawLabel?: string };
  errors: string[];
}

export interface Group {
  name: string;
  /** One line for `--help` and the docs. */
  summary: string;
  run(ctx: Context): Promise<GroupOutput>;
}

/** A server under test and how the load generator reaches it. */
export interface Subject {
  impl: Impl;
  spec: ServerSpec;
  kind: Endpoint['kind'];
  offerDeflate?: boolean;
  /** Shown instead of figures when this server cannot start (e.g. a flag it does not have yet). */
  unavailableIfNoStart?: string;
}

/**
 * `subjects` and, when the Bun binary is installed, Bun running `script` (compiled, relative to
 * the build root) with `args`; without the binary, Bun is left out (run.ts has said so once).
 */
export function withBun(subjects: Subject[], script: string, options: { args?: string[]; offerDeflate?: boolean } = {}): Subject[] {
  const bun = findBun();
  if (bun === null) return subjects;
  const spec: ServerSpec = { script, bun: bun.path, ...(options.args !== undefined ? { args: options.args } : {}) };
  return [...subjects, { impl: 'bun', kind: 'ws', spec, ...(options.offerDeflate === true ? { offerDeflate: true } : {}) }];
}

export const BUN_ECHO = 'scripts/bench/servers/bun-echo.js';

export interface Measurement {
  key: string;
  /** Short text for progress lines. */
  label: string;
  job(endpoint: Endpoint): Job;
}

export type ResultsByImpl = Partial<Record<Impl, LoadResult[]>>;

export interface Results {
  byKey: Map<string, ResultsByImpl>;
  /** Implementations without figures, and why. */
  unavailable: Partial<Record<Impl, string>>;
  errors: string[];
}

export function endpointOf(subject: Subject, server: RunningServer): Endpoint {
  return { kind: subject.kind, host: server.host, port: server.port, serverPid: server.pid, ...(subject.offerDeflate === true ? { offerDeflate: true } : {}) };
}

/** Every measurement against every subject, `rounds` times, servers started once for the group. */
export async function measureServers(ctx: Context, group: string, subjects: Subject[], measurements: Measurement[]): Promise<Results> {
  // An A/B of two commits in one run (docs/benchmarks.md, "Before and after, in one run"): the raw
  // TCP column runs our server from another compiled tree.
  const before = process.env['BENCH_RAW_AS_BEFORE'];
  const ours = subjects.find((s) => s.impl === 'ours');
  if (before !== undefined && ours !== undefined) {
    subjects = subjects.map((s) => (s.impl === 'raw' ? { ...ours, impl: 'raw', spec: { ...ours.spec, script: `${before}/${ours.spec.script}` } } : s));
  }
  const results: Results = { byKey: new Map(measurements.map((m) => [m.key, {}])), unavailable: {}, errors: [] };
  const servers = new Map<Impl, RunningServer>();
  const start = async (s: Subject): Promise<void> => {
    try {
      servers.set(s.impl, await startServer(s.spec, ctx.launch));
    } catch (err) {
      results.unavailable[s.impl] = s.unavailableIfNoStart ?? 'error';
      if (s.unavailableIfNoStart === undefined) results.errors.push(`${group} ${s.impl}: ${message(err)}`);
      else ctx.log(`[${group}] ${s.impl}: ${s.unavailableIfNoStart}: ${firstLine(message(err))}`);
    }
  };
  try {
    for (const s of subjects) await start(s);
    for (let round = 0; round < ctx.config.rounds; round++) {
      const order = rotate(subjects, round);
      for (const m of measurements) {
        const line: string[] = [];
        for (const s of order) {
          let server = servers.get(s.impl);
          if (server === undefined) continue;
          if (!server.alive) {
            results.errors.push(`${group} ${s.impl}: the server died; restarting it`);
            await start(s);
            server = servers.get(s.impl);
            if (server === undefined || !server.alive) continue;
          }
          try {
            await beforeMeasuring(ctx);
            const r = await ctx.loadgen.run(m.job(endpointOf(s, server)));
            (results.byKey.get(m.key)![s.impl] ??= []).push(r);
            line.push(`${s.impl} ${progressFigure(r)}`);
          } catch (err) {
            results.errors.push(`${group} ${m.label} ${s.impl}: ${message(err)}`);
            line.push(`${s.impl} error`);
          }
        }
        ctx.log(`[${group}] round ${round + 1}/${ctx.config.rounds} ${m.label}: ${line.join(', ')}`);
      }
    }
  } finally {
    await Promise.all([...servers.values()].map((s) => s.kill()));
  }
  return results;
}

function progressFigure(r: LoadResult): string {
  if (r.negotiated === false) return 'not negotiated';
  return `${Math.round(r.count / r.seconds).toLocaleString('en-US')}/s`;
}

export function rotate<T>(items: readonly T[], by: number): T[] {
  const n = items.length;
  return items.map((_, i) => items[(i + by) % n]!);
}

/** A table row from one measurement's results. */
export function rowOf(
  label: string,
  results: ResultsByImpl | undefined,
  value: (r: LoadResult) => number,
  options: { target?: Target; unavailable?: Partial<Record<Impl, string>> } = {},
): Row {
  const values: Partial<Record<Impl, number[]>> = {};
  const unavailable: Partial<Record<Impl, string>> = { ...options.unavailable };
  for (const [impl, list] of Object.entries(results ?? {}) as Array<[Impl, LoadResult[]]>) {
    if (list.some((r) => r.negotiated === false)) unavailable[impl] = 'n/a (not negotiated)';
    else values[impl] = list.map(value);
  }
  return { label, values, ...(Object.keys(unavailable).length > 0 ? { unavailable } : {}), ...(options.target ? { target: options.target } : {}) };
}

/** Server and load generator CPU for each measurement. */
export function cpuRows(measurements: Measurement[], results: Results): CpuRow[] {
  return measurements.map((m) => {
    const byImpl = results.byKey.get(m.key) ?? {};
    const server: CpuRow['server'] = {};
    const load: CpuRow['load'] = {};
    const other: CpuRow['other'] = {};
    for (const [impl, list] of Object.entries(byImpl) as Array<[Impl, LoadResult[]]>) {
      const measured = list.filter((r) => r.negotiated !== false);
      if (measured.length === 0) continue;
      server[impl] = measured.map((r) => r.serverCpu);
      load[impl] = measured.map((r) => r.loadCpu);
      const others = measured.flatMap((r) => (r.otherCpu === undefined || Number.isNaN(r.otherCpu) ? [] : [r.otherCpu]));
      if (others.length > 0) other[impl] = others;
    }
    return { label: m.label, server, load, other };
  });
}

export function perSecond(r: LoadResult): number {
  return r.count / r.seconds;
}

export function megabytesPerSecond(r: LoadResult): number {
  return r.payloadBytes / r.seconds / 1e6;
}

export function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim() !== '')?.trim() ?? text;
}
