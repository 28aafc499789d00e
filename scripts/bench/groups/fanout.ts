/**
 * Fan-out past one process: 1,000 subscribers of one topic, one publisher. The Hub in one
 * process; the Hub on three processes sharing the topic through Redis; socket.io 4 with
 * @socket.io/redis-adapter on three processes and the same Redis. Deliveries/s with messages in
 * flight, and latency from publish to delivery at a fixed rate.
 */
import { formatNumber } from '../format.js';
import { LOAD_CPU, type RunningServer, assertOpenFiles, runToCompletion, startServer } from '../processes.js';
import { redisAvailable, startBenchRedis } from '../redis-server.js';
import type { Impl, Row } from '../table.js';
import { type Group, beforeMeasuring, message } from './common.js';

interface FanoutResult {
  deliveriesPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

interface FanoutSubject {
  impl: Exclude<Impl, 'bun'>; // no Bun anchor: fan-out compares the Hub with socket.io
  kind: 'hub' | 'socketio';
  script: string;
  processes: number;
  redis: boolean;
}

const SUBJECTS: FanoutSubject[] = [
  { impl: 'raw', kind: 'hub', script: 'scripts/bench/servers/fanout-hub.js', processes: 1, redis: false },
  { impl: 'ours', kind: 'hub', script: 'scripts/bench/servers/fanout-hub.js', processes: 3, redis: true },
  { impl: 'ws', kind: 'socketio', script: 'scripts/bench/servers/fanout-socketio.js', processes: 3, redis: true },
];

const COLUMNS = { raw: 'Hub, 1 process', ours: 'Hub, 3 processes + Redis', ws: 'socket.io + redis-adapter, 3 processes' };

export const fanout: Group = {
  name: 'fanout',
  summary: 'Hub fan-out to 1,000 subscribers: 1 process, 3 processes through Redis, socket.io + redis-adapter',
  async run(ctx) {
    const clients = ctx.config.broadcastClients;
    assertOpenFiles(clients * 2 + 100);
    const rows: Record<'throughput' | 'p50' | 'p99', Row> = {
      throughput: { label: `deliveries/s (${ctx.config.broadcastWindow} messages in flight)`, values: {} },
      p50: { label: 'latency p50 (ms), 20 messages/s', values: {} },
      p99: { label: 'latency p99 (ms), 20 messages/s', values: {} },
    };
    const errors: string[] = [];
    if (!redisAvailable()) {
      const reason = 'n/a (no redis-server)';
      for (const row of Object.values(rows)) row.unavailable = { ours: reason, ws: reason };
    }
    const seconds = ctx.config.timing.durationMs >= 1000 ? 2 : 1;
    for (let round = 0; round < ctx.config.rounds; round++) {
      for (const subject of SUBJECTS) {
        if (subject.redis && !redisAvailable()) continue;
        ctx.log(`fanout: ${COLUMNS[subject.impl]}, round ${round + 1}/${ctx.config.rounds}`);
        try {
          const result = await measure(subject, clients, ctx.config.broadcastWindow, seconds, ctx);
          push(rows.throughput, subject.impl, result.deliveriesPerSec);
          push(rows.p50, subject.impl, result.p50Ms);
          push(rows.p99, subject.impl, result.p99Ms);
        } catch (err) {
          errors.push(`fanout ${subject.impl}: ${message(err)}`);
        }
      }
    }
    return {
      tables: [
        {
          title: `Fan-out to ${formatNumber(clients)} subscribers across processes`,
          rawLabel: COLUMNS.raw,
          columns: COLUMNS,
          rows: [rows.throughput, rows.p50, rows.p99],
          notes: [
            'One publisher; every message goes to every subscriber, spread evenly over the processes. Latency is from the publisher’s send to a subscriber’s receipt, measured in the load generator (one clock). Redis is a local redis-server without persistence.',
          ],
        },
      ],
      errors,
    };
  },
};

function push(row: Row, impl: Impl, value: number): void {
  (row.values[impl] ??= []).push(value);
}

async function measure(subject: FanoutSubject, clients: number, window: number, seconds: number, ctx: Parameters<Group['run']>[0]): Promise<FanoutResult> {
  const redis = subject.redis ? await startBenchRedis() : null;
  const servers: RunningServer[] = [];
  try {
    for (let i = 0; i < subject.processes; i++) {
      servers.push(await startServer({ script: subject.script, args: redis === null ? [] : ['--redis', redis.url] }, ctx.launch));
    }
    await beforeMeasuring(ctx);
    const urls = servers.map((s) => `ws://${s.host}:${s.port}`).join(',');
    const args = ['--kind', subject.kind, '--urls', urls, '--clients', String(clients), '--window', String(window), '--seconds', String(seconds)];
    const out = await runToCompletion('scripts/bench/loadgen/fanout.js', args, LOAD_CPU, ctx.launch);
    return JSON.parse(out.trim().split('\n').at(-1)!) as FanoutResult;
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await redis?.stop();
  }
}
