/**
 * The echo scenarios. Ours is exactly `scripts/echo-server.ts` (compiled); `ws` runs the
 * equivalent `servers/ws-echo.ts`, Bun `servers/bun-echo.ts`; the raw baseline is `servers/tcp-echo.ts`.
 */
import { DEFLATE_SIZES, MANY_SIZE, PINGPONG_SIZES, PIPELINED_SIZES } from '../config.js';
import type { LoadResult } from '../jobs.js';
import { sizeLabel } from '../format.js';
import type { Row, Target } from '../table.js';
import { BUN_ECHO, type Group, type Measurement, type Subject, cpuRows, measureServers, megabytesPerSecond, perSecond, rowOf, withBun } from './common.js';

const ECHO_SUBJECTS: Subject[] = withBun(
  [
    { impl: 'raw', kind: 'tcp', spec: { script: 'scripts/bench/servers/tcp-echo.js' } },
    { impl: 'ws', kind: 'ws', spec: { script: 'scripts/bench/servers/ws-echo.js' } },
    { impl: 'ours', kind: 'ws', spec: { script: 'scripts/echo-server.js' } },
  ],
  BUN_ECHO,
);

const atLeast = (ratio: number): Target => ({ versus: 'ws', ratio, better: 'higher' });
const atMost = (ratio: number): Target => ({ versus: 'ws', ratio, better: 'lower' });

const p50 = (r: LoadResult): number => r.latency!.p50;
const p99 = (r: LoadResult): number => r.latency!.p99;

export const pingpong: Group = {
  name: 'pingpong',
  summary: 'one connection, one message in flight (32 B, 1 KiB): round trips/s and p50/p99 latency',
  async run(ctx) {
    const measurements: Measurement[] = PINGPONG_SIZES.map((size) => ({
      key: String(size),
      label: `${sizeLabel(size)} ping-pong`,
      job: (endpoint) => ({ type: 'pingpong', endpoint, size, connections: 1, timing: ctx.config.timing }),
    }));
    const results = await measureServers(ctx, 'pingpong', ECHO_SUBJECTS, measurements);
    const rows: Row[] = [];
    for (const size of PINGPONG_SIZES) {
      const r = results.byKey.get(String(size));
      const s = sizeLabel(size);
      rows.push(rowOf(`${s}: round trips/s`, r, perSecond, { target: atLeast(1), unavailable: results.unavailable }));
      rows.push(rowOf(`${s}: p50 latency, µs (lower is better)`, r, p50, { target: atMost(1), unavailable: results.unavailable }));
      rows.push(rowOf(`${s}: p99 latency, µs (lower is better)`, r, p99, { target: atMost(1), unavailable: results.unavailable }));
    }
    return {
      tables: [{ title: 'Ping-pong, one connection', rawLabel: 'raw TCP', rows }],
      cpu: { title: 'CPU during ping-pong (one core = 100%)', rows: cpuRows(measurements, results) },
      errors: results.errors,
    };
  },
};

const PIPELINED_TARGETS: Record<number, number> = { 32: 3, 1024: 2, [64 * 1024]: 2 };

export const pipelined: Group = {
  name: 'pipelined',
  summary: 'one connection, a window of messages in flight (32 B, 1 KiB, 64 KiB, 1 MiB): messages/s and MB/s',
  async run(ctx) {
    const measurements: Measurement[] = PIPELINED_SIZES.map((size) => ({
      key: String(size),
      label: `${sizeLabel(size)} pipelined`,
      job: (endpoint) => ({ type: 'pipelined', endpoint, size, payload: 'binary', timing: ctx.config.timing }),
    }));
    const results = await measureServers(ctx, 'pipelined', ECHO_SUBJECTS, measurements);
    const rows: Row[] = [];
    for (const size of PIPELINED_SIZES) {
      const r = results.byKey.get(String(size));
      const target = PIPELINED_TARGETS[size];
      const s = sizeLabel(size);
      rows.push(rowOf(`${s}: messages/s`, r, perSecond, { ...(target !== undefined ? { target: atLeast(target) } : {}), unavailable: results.unavailable }));
      rows.push(rowOf(`${s}: MB/s`, r, megabytesPerSecond, { unavailable: results.unavailable }));
    }
    return {
      tables: [{ title: 'Pipelined echo, one connection', rawLabel: 'raw TCP', rows, notes: ['MB/s: payload bytes echoed per second (10^6 bytes), one direction.'] }],
      cpu: { title: 'CPU during pipelined echo', rows: cpuRows(measurements, results) },
      errors: results.errors,
    };
  },
};

export const connections: Group = {
  name: 'connections',
  summary: 'many connections (256), one 32 B message in flight on each: round trips/s and latency',
  async run(ctx) {
    const n = ctx.config.manyConnections;
    const measurements: Measurement[] = [
      {
        key: 'many',
        label: `${n} connections ping-pong`,
        job: (endpoint) => ({ type: 'pingpong', endpoint, size: MANY_SIZE, connections: n, timing: ctx.config.timing }),
      },
    ];
    const results = await measureServers(ctx, 'connections', ECHO_SUBJECTS, measurements);
    const r = results.byKey.get('many');
    const rows: Row[] = [
      rowOf(`${n} connections, ${sizeLabel(MANY_SIZE)}: round trips/s`, r, perSecond, { target: atLeast(1), unavailable: results.unavailable }),
      rowOf(`${n} connections: p50 latency, µs (lower is better)`, r, p50, { unavailable: results.unavailable }),
      rowOf(`${n} connections: p99 latency, µs (lower is better)`, r, p99, { unavailable: results.unavailable }),
    ];
    return {
      tables: [{ title: `Ping-pong, ${n} connections`, rawLabel: 'raw TCP', rows }],
      cpu: { title: `CPU during ${n}-connection ping-pong`, rows: cpuRows(measurements, results) },
      errors: results.errors,
    };
  },
};

export const handshakes: Group = {
  name: 'handshakes',
  summary: 'connect, opening handshake, closing handshake, TCP close; 32 at a time: handshakes/s',
  async run(ctx) {
    const concurrency = ctx.config.handshakeConcurrency;
    const measurements: Measurement[] = [
      { key: 'handshakes', label: 'handshakes', job: (endpoint) => ({ type: 'handshakes', endpoint, concurrency, timing: ctx.config.timing }) },
    ];
    const results = await measureServers(ctx, 'handshakes', ECHO_SUBJECTS, measurements);
    const r = results.byKey.get('handshakes');
    const failures = Object.entries(r ?? {}).flatMap(([impl, list]) => {
      const n = list.reduce((sum, x) => sum + (x.failures ?? 0), 0);
      return n > 0 ? [`${impl}: ${n} failed cycles`] : [];
    });
    return {
      tables: [
        {
          title: `Connection churn, ${concurrency} concurrent cycles`,
          rawLabel: 'raw TCP',
          rows: [
            rowOf('handshakes/s (raw TCP: connect, echo, close)', r, perSecond, { target: atLeast(1.05), unavailable: results.unavailable }),
            // What the server spent on each cycle: on a busy machine, far steadier than the rate.
            rowOf('server CPU per handshake, µs (lower is better)', r, serverMicrosEach, { unavailable: results.unavailable }),
          ],
          ...(failures.length > 0 ? { notes: [`Failed cycles: ${failures.join('; ')}.`] } : {}),
        },
      ],
      cpu: { title: 'CPU during connection churn', rows: cpuRows(measurements, results) },
      errors: results.errors,
    };
  },
};

export const deflate: Group = {
  name: 'deflate',
  summary: 'permessage-deflate on, pipelined JSON-like text (1 KiB, 64 KiB): messages/s and MB/s',
  async run(ctx) {
    const subjects: Subject[] = withBun(
      [
        { impl: 'ws', kind: 'ws', offerDeflate: true, spec: { script: 'scripts/bench/servers/ws-echo.js', args: ['--compression'] } },
        {
          impl: 'ours',
          kind: 'ws',
          offerDeflate: true,
          spec: { script: 'scripts/echo-server.js', args: ['--compression'] },
          unavailableIfNoStart: 'n/a (not negotiated)',
        },
      ],
      BUN_ECHO,
      { args: ['--compression'], offerDeflate: true },
    );
    const measurements: Measurement[] = DEFLATE_SIZES.map((size) => ({
      key: String(size),
      label: `${sizeLabel(size)} deflate pipelined`,
      job: (endpoint) => ({ type: 'pipelined', endpoint, size, payload: 'json', timing: ctx.config.timing }),
    }));
    const results = await measureServers(ctx, 'deflate', subjects, measurements);
    const rows: Row[] = [];
    for (const size of DEFLATE_SIZES) {
      const r = results.byKey.get(String(size));
      rows.push(rowOf(`${sizeLabel(size)} JSON: messages/s`, r, perSecond, { unavailable: results.unavailable }));
      rows.push(rowOf(`${sizeLabel(size)} JSON: MB/s (uncompressed)`, r, megabytesPerSecond, { unavailable: results.unavailable }));
    }
    return {
      tables: [
        {
          title: 'permessage-deflate, pipelined echo of JSON-like text',
          rows,
          notes: [
            'The client offers `permessage-deflate; client_no_context_takeover` and sends pre-compressed frames; servers compress their echoes with their defaults.',
            'Bun (`perMessageDeflate: true`) compresses only the replies it is asked to (here: every reply of 1 KiB or more, as ws by default) and keeps no LZ77 context between messages (uWebSockets\' shared compressor), so it never gains from repeats across messages, unlike ws and ours with context takeover; it also compresses with its own zlib build and settings.',
          ],
        },
      ],
      cpu: { title: 'CPU during permessage-deflate echo', rows: cpuRows(measurements, results) },
      errors: results.errors,
    };
  },
};

/** Server CPU time per completed cycle, in microseconds. */
function serverMicrosEach(r: LoadResult): number {
  return r.count > 0 ? (r.serverCpu * r.seconds * 1e6) / r.count : Number.NaN;
}
