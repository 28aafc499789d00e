/**
 * Idle memory: many open connections doing nothing, the resting cost of each. Every round starts
 * fresh servers (memory never fully returns once given out), warms them with a few connections,
 * takes a baseline after a forced GC, opens the connections, and measures again. The servers
 * are the echo servers, unmodified, with `memory-probe.ts` preloaded to answer over IPC.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { formatNumber } from '../format.js';
import { residentBytes } from '../proc.js';
import { BUILD_ROOT, type RunningServer, assertOpenFiles, startServer } from '../processes.js';
import type { Impl, Row } from '../table.js';
import { type Group, type Subject, beforeMeasuring, endpointOf, message, rotate } from './common.js';

/** Connections opened and closed before the baseline, so lazily built state is already there. */
const WARM_UP_CONNECTIONS = 100;

/**
 * The young generation is capped for every server alike: opening thousands of connections at once
 * grows V8's semi-spaces, whose pages stay resident after the GC, and that growth (a process's,
 * set by the burst, not by what each connection keeps) would be divided among the connections:
 * measured, it was most of the RSS beyond the live heap, and it made the figure vary with N.
 */
const probeFlags = (): string[] => [
  '--expose-gc',
  '--max-semi-space-size=1',
  '--import',
  pathToFileURL(join(BUILD_ROOT, 'scripts/bench/servers/memory-probe.js')).href,
];

const SUBJECTS: Subject[] = [
  { impl: 'raw', kind: 'tcp', spec: { script: 'scripts/bench/servers/tcp-echo.js', nodeFlags: probeFlags(), ipc: true } },
  { impl: 'ws', kind: 'ws', spec: { script: 'scripts/bench/servers/ws-echo.js', nodeFlags: probeFlags(), ipc: true } },
  { impl: 'ours', kind: 'ws', spec: { script: 'scripts/echo-server.js', nodeFlags: probeFlags(), ipc: true } },
];

interface Snapshot {
  rss: number;
  heapUsed: number;
}

async function snapshot(server: RunningServer): Promise<Snapshot> {
  const answer = await server.request<{ memory?: NodeJS.MemoryUsage; error?: string }>('memory');
  if (answer.memory === undefined) throw new Error(answer.error ?? 'no memory figures');
  return { rss: residentBytes(server.pid), heapUsed: answer.memory.heapUsed };
}

export const idle: Group = {
  name: 'idle',
  summary: '5,000 idle connections: server RSS and V8 heap per connection (forced GC, baseline subtracted)',
  async run(ctx) {
    const n = ctx.config.idleConnections;
    assertOpenFiles(n + WARM_UP_CONNECTIONS + 100);
    const rss: Partial<Record<Impl, number[]>> = {};
    const heap: Partial<Record<Impl, number[]>> = {};
    const errors: string[] = [];
    for (let round = 0; round < ctx.config.rounds; round++) {
      const line: string[] = [];
      for (const s of rotate(SUBJECTS, round)) {
        let server: RunningServer | undefined;
        try {
          await beforeMeasuring(ctx);
          server = await startServer(s.spec, ctx.launch);
          const endpoint = endpointOf(s, server);
          await ctx.loadgen.run({ type: 'open-idle', endpoint, connections: WARM_UP_CONNECTIONS });
          await ctx.loadgen.run({ type: 'close-idle' });
          await sleep(300);
          const before = await snapshot(server);
          const opened = await ctx.loadgen.run({ type: 'open-idle', endpoint, connections: n });
          if (opened.opened !== n) throw new Error(`only ${opened.opened} of ${n} connections opened`);
          await sleep(500);
          const after = await snapshot(server);
          (rss[s.impl] ??= []).push((after.rss - before.rss) / n / 1024);
          (heap[s.impl] ??= []).push((after.heapUsed - before.heapUsed) / n / 1024);
          line.push(`${s.impl} ${((after.rss - before.rss) / n / 1024).toFixed(1)} KiB RSS`);
        } catch (err) {
          errors.push(`idle ${s.impl}: ${message(err)}`);
          line.push(`${s.impl} error`);
        } finally {
          await ctx.loadgen.run({ type: 'close-idle' }).catch(() => undefined);
          await server?.kill();
        }
      }
      ctx.log(`[idle] round ${round + 1}/${ctx.config.rounds}: ${line.join(', ')}`);
    }
    const rows: Row[] = [
      { label: 'RSS per connection, KiB (lower is better)', values: rss, target: { versus: 'ws', ratio: 0.7, better: 'lower' } },
      { label: 'V8 heap per connection, KiB (lower is better)', values: heap },
    ];
    return {
      tables: [
        {
          title: `Idle memory, ${formatNumber(n)} connections`,
          rawLabel: 'raw TCP',
          rows,
          notes: [
            'RSS from /proc/PID/status (VmRSS), heap from `process.memoryUsage().heapUsed`, both after a forced GC, baseline subtracted, divided by the number of connections.',
            'Every server runs with `--max-semi-space-size=1`: the young generation grown by the burst of connections is not counted as per-connection memory.',
          ],
        },
      ],
      errors,
    };
  },
};
