/**
 * Idle at scale: N connections (50,000 by default) held open, 1% of them active, each active one
 * sending a 32 B message every 100 ms (open loop, spread evenly). Measured: the server's RSS and
 * heap per connection (forced GC, baseline subtracted, as in `idle`, taken after the active
 * window) and the active messages' round-trip p50/p99. The load runs in several processes with
 * several loopback source addresses each; when the server cannot hold N sockets here, the run uses
 * the largest N that fits and says so (scale-plan.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { formatNumber } from '../format.js';
import { cpuSeconds, openFileLimits } from '../proc.js';
import { type RunningServer, startServer } from '../processes.js';
import { ScaleWorker } from '../scale-workers.js';
import { type ScalePlan, localPortCount, planScale } from '../scale-plan.js';
import { latencyPercentiles } from '../stats.js';
import type { Impl, Row } from '../table.js';
import { type Context, type Group, type Subject, beforeMeasuring, endpointOf, message, rotate } from './common.js';
import { HEAP_NOTE, memorySubjects, snapshot } from './memory.js';

const MESSAGE_SIZE = 32;
const INTERVAL_MS = 100;
const WARM_UP_CONNECTIONS = 50;
/** Handshakes in progress at once, per load process. */
const CONCURRENCY = 100;
/** At most this many rounds: each opens N connections per server. */
const MAX_ROUNDS = 3;
/** Opening is slow on a busy machine (a few hundred handshakes/s); a stuck one still ends. */
const openTimeoutMs = (connections: number): number => 60_000 + 25 * connections;
/** Long enough for thousands of samples, so that p99 is not the single worst one. */
const MIN_WARMUP_MS = 1000;
const MIN_WINDOW_MS = 3000;
const STEP_TIMEOUT_MS = 30_000;

type Figures = Partial<Record<Impl, number[]>>;

/** The next unused source address (see `sourceAddress`). */
let addressCursor = 0;

interface RoundFigures {
  rssKiB: number;
  heapKiB: number;
  p50: number;
  p99: number;
  serverCpu: number;
  lost: number;
}

/** The plan for this machine: the hard open-files limit applies to every child alike. */
export function scalePlan(requested: number, firstAddress = 0): ScalePlan {
  const { hard } = openFileLimits();
  const files = Number.isFinite(hard) ? hard : 1_048_576;
  return planScale(requested, { serverFiles: files, loadFiles: files, portsPerAddress: localPortCount() }, firstAddress);
}

const windowMs = (ctx: Context): number => Math.max(MIN_WINDOW_MS, ctx.config.timing.durationMs);

async function measureOne(ctx: Context, subject: Subject, requested: number): Promise<RoundFigures> {
  // Fresh source addresses every time (see `sourceAddress`).
  const plan = scalePlan(requested, addressCursor);
  addressCursor += plan.addressCount;
  let server: RunningServer | undefined;
  const workers: ScaleWorker[] = [];
  const started = performance.now();
  try {
    server = await startServer(subject.spec, ctx.launch);
    const endpoint = endpointOf(subject, server);
    await ctx.loadgen.run({ type: 'open-idle', endpoint, connections: WARM_UP_CONNECTIONS });
    await ctx.loadgen.run({ type: 'close-idle' });
    await sleep(300);
    const before = await snapshot(server, subject);
    for (let i = 0; i < plan.workers.length; i++) workers.push(ScaleWorker.start(ctx.launch));
    const opened = await Promise.all(
      plan.workers.map((w, i) =>
        workers[i]!.request(
          { type: 'open', endpoint, addresses: w.addresses, connections: w.connections, active: w.active, size: MESSAGE_SIZE, intervalMs: INTERVAL_MS, concurrency: CONCURRENCY },
          openTimeoutMs(w.connections),
        ),
      ),
    );
    const total = opened.reduce((sum, r) => sum + (r.opened ?? 0), 0);
    ctx.log(`[scale] ${subject.impl}: ${total} connections open after ${((performance.now() - started) / 1000).toFixed(1)} s`);
    if (total !== plan.connections) throw new Error(`only ${total} of ${plan.connections} connections opened`);
    const all = (type: 'start' | 'open-window' | 'close-window'): Promise<unknown> => Promise.all(workers.map((w) => w.request({ type }, STEP_TIMEOUT_MS)));
    await beforeMeasuring(ctx);
    await all('start');
    await sleep(Math.max(MIN_WARMUP_MS, ctx.config.timing.warmupMs));
    await all('open-window');
    const cpu0 = cpuSeconds(server.pid);
    const t0 = performance.now();
    await sleep(windowMs(ctx));
    await all('close-window');
    const serverCpu = (cpuSeconds(server.pid) - cpu0) / ((performance.now() - t0) / 1000);
    const stopped = await Promise.all(workers.map((w) => w.request({ type: 'stop', timeoutMs: 5000 }, STEP_TIMEOUT_MS)));
    const samples = Float64Array.from(stopped.flatMap((r) => r.result?.samples ?? []));
    if (samples.length === 0) throw new Error('no active message came back inside the window');
    const { p50, p99 } = latencyPercentiles(samples);
    await sleep(500);
    const after = await snapshot(server, subject);
    const n = plan.connections;
    return {
      rssKiB: (after.rss - before.rss) / n / 1024,
      heapKiB: (after.heapUsed - before.heapUsed) / n / 1024,
      p50,
      p99,
      serverCpu,
      lost: stopped.reduce((sum, r) => sum + (r.result?.lost ?? 0), 0),
    };
  } finally {
    await Promise.all(workers.map((w) => w.request({ type: 'close' }, STEP_TIMEOUT_MS).catch(() => undefined)));
    await Promise.all(workers.map((w) => w.stop()));
    await ctx.loadgen.run({ type: 'close-idle' }).catch(() => undefined);
    await server?.kill();
  }
}

export const scale: Group = {
  name: 'scale',
  summary: '50,000 connections (--connections N; the most that fit here), 1% active at 10 msg/s each: memory per connection, p50/p99 of the active',
  async run(ctx) {
    const plan = scalePlan(ctx.config.scaleConnections);
    if (plan.reduced !== null) ctx.log(`[scale] NOTE: ${plan.reduced}`);
    ctx.log(
      `[scale] ${plan.connections} connections (${plan.active} active) from ${plan.workers.length} load process(es) of ${plan.workers.map((w) => w.connections).join(' + ')}, over ${plan.addressCount} loopback source addresses (fresh ones for each server)`,
    );
    const subjects = memorySubjects();
    const figures = { rss: {} as Figures, heap: {} as Figures, p50: {} as Figures, p99: {} as Figures, cpu: {} as Figures };
    const errors: string[] = [];
    let lost = 0;
    const rounds = Math.min(ctx.config.rounds, MAX_ROUNDS);
    for (let round = 0; round < rounds; round++) {
      const line: string[] = [];
      for (const s of rotate(subjects, round)) {
        try {
          await beforeMeasuring(ctx);
          const r = await measureOne(ctx, s, plan.requested);
          (figures.rss[s.impl] ??= []).push(r.rssKiB);
          (figures.heap[s.impl] ??= []).push(r.heapKiB);
          (figures.p50[s.impl] ??= []).push(r.p50);
          (figures.p99[s.impl] ??= []).push(r.p99);
          (figures.cpu[s.impl] ??= []).push(r.serverCpu * 100);
          lost += r.lost;
          line.push(`${s.impl} ${r.rssKiB.toFixed(1)} KiB RSS, p99 ${Math.round(r.p99)} µs`);
        } catch (err) {
          errors.push(`scale ${s.impl}: ${message(err)}`);
          line.push(`${s.impl} error`);
        }
      }
      ctx.log(`[scale] round ${round + 1}/${rounds}: ${line.join(', ')}`);
    }
    const rows: Row[] = [
      { label: 'RSS per connection, KiB (lower is better)', values: figures.rss },
      { label: 'heap per connection, KiB (lower is better)', values: figures.heap },
      { label: `active: p50 round trip, µs (lower is better)`, values: figures.p50 },
      { label: `active: p99 round trip, µs (lower is better)`, values: figures.p99 },
      { label: 'server CPU, % of a core', values: figures.cpu },
    ];
    const notes = [
      `${plan.connections.toLocaleString('en-US')} connections from ${plan.workers.length} load process(es) over ${plan.addressCount} loopback source addresses; ${plan.active} of them active, each sending a ${MESSAGE_SIZE} B binary message every ${INTERVAL_MS} ms (open loop, spread evenly: ${formatNumber((plan.active * 1000) / INTERVAL_MS)} messages/s in all) and timing its echo inside a ${windowMs(ctx) / 1000} s window; the rest idle.`,
      'Memory after the active window, forced GC, baseline (fresh server, 50 connections opened and closed) subtracted, divided by all connections. Heap: V8 `heapUsed` for node servers, which run with `--max-semi-space-size=1` (the young generation grown by the burst of connections is not per-connection memory).',
      ...(subjects.some((s) => s.impl === 'bun') ? [HEAP_NOTE] : []),
      ...(plan.reduced !== null ? [`**Fewer connections than asked:** ${plan.reduced}.`] : []),
      ...(lost > 0 ? [`${lost} active messages got no echo within 5 s of the window's end.`] : []),
    ];
    return {
      tables: [{ title: `Idle at scale, ${plan.connections.toLocaleString('en-US')} connections, ${plan.active.toLocaleString('en-US')} active`, rawLabel: 'raw TCP', rows, notes }],
      errors,
    };
  },
};
