/**
 * WebSockets over HTTP/2 (RFC 8441) against HTTP/1.1, both on our echo server (`--http2` serves
 * both on one port): handshakes/s for a new WebSocket on an existing h2 session against a new TCP
 * connection each, pipelined echo on one stream against one connection, and the server's memory
 * per idle WebSocket either way. `ws` has no RFC 8441; its column stays empty.
 *
 * The h2 load runs on Node's own `http2` client (nghttp2), where the TCP load writes raw bytes: the
 * h2 figures include a heavier load generator, on its own core.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { formatNumber } from '../format.js';
import type { Job, LoadResult } from '../jobs.js';
import { residentBytes } from '../proc.js';
import { BUILD_ROOT, type RunningServer, assertOpenFiles, startServer } from '../processes.js';
import type { CpuRow, Impl, Row } from '../table.js';
import { type Context, type Group, type Subject, beforeMeasuring, endpointOf, megabytesPerSecond, message, perSecond } from './common.js';

/** The HTTP/1.1 figures go in the baseline column, the h2 ones in ours. */
const H1: Impl = 'raw';
const H2: Impl = 'ours';
const UNAVAILABLE = { ws: 'n/a (no RFC 8441)' } as const;
const SIZES = [1024, 64 * 1024] as const;
const WARM_UP = 100;

const probeFlags = (): string[] => ['--expose-gc', '--import', pathToFileURL(join(BUILD_ROOT, 'scripts/bench/servers/memory-probe.js')).href];
const SERVER: Subject = { impl: H2, kind: 'ws', spec: { script: 'scripts/echo-server.js', args: ['--http2'], nodeFlags: probeFlags(), ipc: true } };

type Figures = Map<string, Partial<Record<Impl, number[]>>>;

/** Server, load generator and other CPU of one measurement, by label. */
function recordCpu(cpu: Map<string, CpuRow>, label: string, impl: Impl, r: LoadResult): void {
  let row = cpu.get(label);
  if (row === undefined) cpu.set(label, (row = { label, server: {}, load: {}, other: {} }));
  (row.server[impl] ??= []).push(r.serverCpu);
  (row.load[impl] ??= []).push(r.loadCpu);
  if (r.otherCpu !== undefined) (row.other[impl] ??= []).push(r.otherCpu);
}

function record(figures: Figures, key: string, impl: Impl, value: number): void {
  let row = figures.get(key);
  if (row === undefined) figures.set(key, (row = {}));
  (row[impl] ??= []).push(value);
}

async function heapAndRss(server: RunningServer): Promise<{ rss: number; heap: number }> {
  const answer = await server.request<{ memory?: NodeJS.MemoryUsage; error?: string }>('memory');
  if (answer.memory === undefined) throw new Error(answer.error ?? 'no memory figures');
  return { rss: residentBytes(server.pid), heap: answer.memory.heapUsed };
}

/** Server memory per idle WebSocket, one transport, on a fresh server. */
async function idleMemory(ctx: Context, h2: boolean, n: number): Promise<{ rss: number; heap: number }> {
  const server = await startServer(SERVER.spec, ctx.launch);
  try {
    const endpoint = endpointOf(SERVER, server);
    const open = (connections: number): Job => (h2 ? { type: 'h2-open-idle', endpoint, connections } : { type: 'open-idle', endpoint, connections });
    await ctx.loadgen.run(open(WARM_UP));
    await ctx.loadgen.run({ type: 'close-idle' });
    await sleep(300);
    const before = await heapAndRss(server);
    const opened = await ctx.loadgen.run(open(n));
    if (opened.opened !== n) throw new Error(`only ${opened.opened} of ${n} WebSockets opened`);
    await sleep(500);
    const after = await heapAndRss(server);
    return { rss: (after.rss - before.rss) / n / 1024, heap: (after.heap - before.heap) / n / 1024 };
  } finally {
    await ctx.loadgen.run({ type: 'close-idle' }).catch(() => undefined);
    await server.kill();
  }
}

export const http2: Group = {
  name: 'http2',
  summary: 'RFC 8441 against HTTP/1.1 on one server: handshakes/s on an existing session, pipelined echo, memory per idle WebSocket',
  async run(ctx) {
    const figures: Figures = new Map();
    const cpu = new Map<string, CpuRow>();
    const errors: string[] = [];
    const n = ctx.config.idleConnections;
    assertOpenFiles(n + WARM_UP + 100);
    const timing = ctx.config.timing;
    const concurrency = ctx.config.handshakeConcurrency;
    for (let round = 0; round < ctx.config.rounds; round++) {
      const line: string[] = [];
      let server: RunningServer | undefined;
      try {
        server = await startServer(SERVER.spec, ctx.launch);
        const endpoint = endpointOf(SERVER, server);
        // Alternate which transport goes first, as the other groups rotate implementations.
        const order: Array<[Impl, boolean]> = round % 2 === 0 ? [[H1, false], [H2, true]] : [[H2, true], [H1, false]];
        for (const [impl, h2] of order) {
          await beforeMeasuring(ctx);
          const r: LoadResult = await ctx.loadgen.run(h2 ? { type: 'h2-handshakes', endpoint, concurrency, timing } : { type: 'handshakes', endpoint, concurrency, timing });
          record(figures, 'handshakes', impl, perSecond(r));
          recordCpu(cpu, 'handshakes', impl, r);
          line.push(`${impl === H2 ? 'h2' : 'http/1.1'} ${Math.round(perSecond(r))} handshakes/s`);
          for (const size of SIZES) {
            await beforeMeasuring(ctx);
            const p = await ctx.loadgen.run(h2 ? { type: 'h2-pipelined', endpoint, size, timing } : { type: 'pipelined', endpoint, size, payload: 'binary', timing });
            record(figures, `pipelined ${size} msg`, impl, perSecond(p));
            record(figures, `pipelined ${size} MB`, impl, megabytesPerSecond(p));
            recordCpu(cpu, `pipelined ${size >= 1024 ? `${size / 1024} KiB` : `${size} B`}`, impl, p);
          }
        }
      } catch (err) {
        errors.push(`http2 round ${round + 1}: ${message(err)}`);
      } finally {
        await server?.kill();
      }
      for (const [impl, h2] of [[H1, false], [H2, true]] as Array<[Impl, boolean]>) {
        try {
          await beforeMeasuring(ctx);
          const m = await idleMemory(ctx, h2, n);
          record(figures, 'idle rss', impl, m.rss);
          record(figures, 'idle heap', impl, m.heap);
          line.push(`${h2 ? 'h2' : 'http/1.1'} idle ${m.rss.toFixed(1)} KiB RSS`);
        } catch (err) {
          errors.push(`http2 idle ${h2 ? 'h2' : 'http/1.1'}: ${message(err)}`);
        }
      }
      ctx.log(`[http2] round ${round + 1}/${ctx.config.rounds}: ${line.join(', ')}`);
    }
    const row = (label: string, key: string): Row => ({ label, values: figures.get(key) ?? {}, unavailable: UNAVAILABLE });
    const rows: Row[] = [
      row('handshakes/s (h2: new stream on an existing session; HTTP/1.1: new TCP connection)', 'handshakes'),
      ...SIZES.flatMap((size) => {
        const s = size >= 1024 ? `${size / 1024} KiB` : `${size} B`;
        return [row(`pipelined ${s}: messages/s`, `pipelined ${size} msg`), row(`pipelined ${s}: MB/s`, `pipelined ${size} MB`)];
      }),
      row(`server RSS per idle WebSocket, KiB (${formatNumber(n)} open; lower is better)`, 'idle rss'),
      row('server V8 heap per idle WebSocket, KiB (lower is better)', 'idle heap'),
    ];
    return {
      tables: [
        {
          title: 'WebSockets over HTTP/2 (RFC 8441) against HTTP/1.1, our echo server with --http2',
          rawLabel: 'HTTP/1.1',
          rows,
          notes: [
            'Columns: "HTTP/1.1" is our server over its own TCP connection per WebSocket, "rfc6455" the same server with each WebSocket a stream of one h2c session; rfc6455/HTTP/1.1 is h2 over HTTP/1.1.',
            `Handshakes: ${concurrency} cycles at once (open, closing handshake, close). The h2 load generator runs Node's http2 client; the HTTP/1.1 one writes raw bytes.`,
          ],
        },
      ],
      cpu: { title: 'CPU during the HTTP/2 and HTTP/1.1 measurements', rows: [...cpu.values()], rawLabel: 'HTTP/1.1' },
      errors,
    };
  },
};
