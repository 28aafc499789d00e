/**
 * Idle memory: many open connections doing nothing, the resting cost of each. Every round starts
 * fresh servers (memory never fully returns once given out), warms them with a few connections,
 * takes a baseline after a forced GC, opens the connections, and measures again. The servers
 * are the echo servers, unmodified, with `memory-probe.ts` preloaded to answer over IPC.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { formatNumber } from '../format.js';
import { type RunningServer, assertOpenFiles, startServer } from '../processes.js';
import type { Impl, Row } from '../table.js';
import { type Group, beforeMeasuring, endpointOf, message, rotate } from './common.js';
import { HEAP_NOTE, memorySubjects, snapshot } from './memory.js';

/** Connections opened and closed before the baseline, so lazily built state is already there. */
const WARM_UP_CONNECTIONS = 100;

const SUBJECTS = memorySubjects();

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
          const before = await snapshot(server, s);
          const opened = await ctx.loadgen.run({ type: 'open-idle', endpoint, connections: n });
          if (opened.opened !== n) throw new Error(`only ${opened.opened} of ${n} connections opened`);
          await sleep(500);
          const after = await snapshot(server, s);
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
            'Every Node server runs with `--max-semi-space-size=1`: the young generation grown by the burst of connections is not counted as per-connection memory.',
            ...(SUBJECTS.some((s) => s.impl === 'bun') ? [HEAP_NOTE] : []),
          ],
        },
      ],
      errors,
    };
  },
};
