import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { bunCandidates, findBun } from '../../scripts/bench/bun.js';
import type { Endpoint, Timing } from '../../scripts/bench/jobs.js';
import { broadcast } from '../../scripts/bench/loadgen/broadcast.js';
import { open } from '../../scripts/bench/loadgen/connect.js';
import { FrameCounter } from '../../scripts/bench/loadgen/counters.js';
import { pipelined, verifyEcho } from '../../scripts/bench/loadgen/echo.js';
import { clientCompressedFrame, clientDataFrame } from '../../scripts/bench/loadgen/frames.js';
import { jsonLikePayload } from '../../scripts/bench/loadgen/payloads.js';
import { MEMORY_PATH } from '../../scripts/bench/servers/bun-api.js';
import { renderCpuTable, renderTable } from '../../scripts/bench/table.js';
import { onCleanup } from '../helpers/servers.js';

const bun = findBun();
const timing: Timing = { warmupMs: 20, durationMs: 150 };

/** Runs a Bun anchor server from its TypeScript source (Bun reads it as is) and waits for its address. */
async function startBun(script: string, args: string[] = []): Promise<Endpoint> {
  const child = spawn(bun!.path, [script, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  onCleanup(() => void child.kill('SIGKILL'));
  const url = await new Promise<URL>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve(new URL(m[1]!));
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => reject(new Error(`bun exited with ${code}: ${out}`)));
  });
  return { kind: 'ws', host: url.hostname, port: Number(url.port), serverPid: child.pid! };
}

describe('the Bun anchor', () => {
  it('looks for the postinstalled binary first, then the platform package of this OS and CPU', () => {
    expect(bunCandidates('linux', 'x64', false)).toEqual(['bun/bin/bun.exe', '@oven/bun-linux-x64/bin/bun', '@oven/bun-linux-x64-baseline/bin/bun']);
    expect(bunCandidates('linux', 'arm64', true)).toEqual([
      'bun/bin/bun.exe',
      '@oven/bun-linux-aarch64-musl/bin/bun',
      '@oven/bun-linux-aarch64-musl-baseline/bin/bun',
    ]);
    expect(bunCandidates('win32', 'x64', false)[1]).toBe('@oven/bun-windows-x64/bin/bun.exe');
  });

  it('gets a column, and a ratio, only in tables where Bun was measured', () => {
    const withBun = renderTable({ title: 'T', rows: [{ label: 'msg/s', values: { ws: [100], ours: [200], bun: [400] } }] }).split('\n');
    expect(withBun[2]).toBe('|  | ws | rfc6455 | Bun | rfc6455/ws | rfc6455/Bun |');
    expect(withBun[4]).toBe('| msg/s | 100 | 200 | 400 | 2.00× | 0.50× |');
    const without = renderTable({ title: 'T', rows: [{ label: 'msg/s', values: { ws: [100], ours: [200] } }] }).split('\n');
    expect(without[2]).toBe('|  | ws | rfc6455 | rfc6455/ws |');
    const cpu = renderCpuTable('CPU', [{ label: 'x', server: { ours: [1], bun: [0.5] }, load: { ours: [0.5], bun: [0.25] }, other: {} }]);
    expect(cpu).toContain('| rfc6455: server / load / other | Bun: server / load / other |');
  });
});

describe.skipIf(bun === null)('the Bun anchor servers', () => {
  it('echo text as text and binary as binary, compress when offered deflate, and report memory', async () => {
    const endpoint = await startBun('scripts/bench/servers/bun-echo.ts', ['--compression']);
    const text = jsonLikePayload(64);
    const conn = await open(endpoint);
    onCleanup(() => void conn.socket.destroy());
    await verifyEcho(endpoint, conn, { payload: text, frame: clientDataFrame(text, 0x1) });
    // Replies of 1 KiB or more come back compressed (RSV1), smaller ones plain.
    const compressing = await open({ ...endpoint, offerDeflate: true });
    onCleanup(() => void compressing.socket.destroy());
    expect(compressing.deflate).toBe(true);
    const counter = new FrameCounter();
    compressing.onData = (chunk) => counter.push(chunk);
    compressing.socket.resume();
    compressing.socket.write(clientCompressedFrame(jsonLikePayload(512)));
    compressing.socket.write(clientCompressedFrame(jsonLikePayload(2048)));
    await expect.poll(() => counter.messages).toBe(2);
    expect(counter.compressedFrames).toBe(1);
    const deflated = await pipelined({ ...endpoint, offerDeflate: true }, 2048, 'json', timing);
    expect(deflated.negotiated).toBe(true);
    expect(deflated.count).toBeGreaterThan(0);
    const memory = (await (await fetch(`http://${endpoint.host}:${endpoint.port}${MEMORY_PATH}`)).json()) as { heapUsed: number; rss: number };
    expect(memory.heapUsed).toBeGreaterThan(0);
    const binary = await pipelined(endpoint, 1024, 'binary', timing);
    expect(binary.payloadBytes).toBe(binary.count * 1024);
  }, 20_000);

  it('broadcast each message to every client, the sender included', async () => {
    const endpoint = await startBun('scripts/bench/servers/bun-broadcast.ts');
    const r = await broadcast(endpoint, 10, 64, 4, timing);
    expect(r.count).toBeGreaterThan(0);
    expect(r.payloadBytes).toBe(r.count * 64);
  }, 20_000);
});
