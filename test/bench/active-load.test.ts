/**
 * The active share of the scale scenario against small in-process echoes: every message sent in
 * the window comes back timed, from the source address asked for, over WebSocket and raw TCP.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Endpoint } from '../../scripts/bench/jobs.js';
import { ActiveLoad, TICK_MS } from '../../scripts/bench/loadgen/active.js';
import { openMany } from '../../scripts/bench/loadgen/connect.js';
import { clientDataFrame } from '../../scripts/bench/loadgen/frames.js';
import { binaryPayload } from '../../scripts/bench/loadgen/payloads.js';
import { echo, onCleanup, rawServer } from '../helpers/servers.js';

const payload = binaryPayload(32);

/** Runs the load until three echoes per active connection were timed inside the window. */
async function drive(endpoint: Endpoint, connections: number, active: number, frame: Buffer) {
  const conns = await openMany(endpoint, connections, 8);
  onCleanup(() => conns.forEach((c) => c.socket.destroy()));
  const load = new ActiveLoad(endpoint, conns.slice(0, active), frame, 2 * TICK_MS);
  load.start();
  load.openWindow();
  // Counted, not timed: wait for the echoes themselves, then close the window.
  await expect.poll(() => load.timed, { timeout: 10_000 }).toBeGreaterThanOrEqual(3 * active);
  load.closeWindow();
  return { conns, result: await load.stop(5000) };
}

describe('active load', () => {
  it('times echoes of the active connections only, from the requested source address', async () => {
    const server = await rawServer(echo);
    const endpoint: Endpoint = { kind: 'ws', host: '127.0.0.1', port: server.port, serverPid: process.pid, localAddress: '127.0.0.3' };
    const { conns, result } = await drive(endpoint, 12, 3, clientDataFrame(payload));
    expect(conns.map((c) => c.socket.localAddress)).toEqual(Array(12).fill('127.0.0.3'));
    expect(result.lost).toBe(0);
    expect(result.samples.length).toBeGreaterThanOrEqual(9);
    for (const s of result.samples) expect(s).toBeGreaterThan(0);
  });

  it('counts raw TCP echoes by length', async () => {
    const server = createServer((s) => s.on('error', () => {}).pipe(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as { port: number }).port;
    const { result } = await drive({ kind: 'tcp', host: '127.0.0.1', port, serverPid: process.pid }, 4, 2, payload);
    expect(result.lost).toBe(0);
    expect(result.samples.length).toBeGreaterThanOrEqual(6);
  });

  it('reports messages whose echo never comes as lost', async () => {
    // Accepts the one probe byte of a raw open, then never answers again.
    const server = createServer((s) => {
      s.on('error', () => {});
      s.once('data', (chunk) => s.write(chunk.subarray(0, 1)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const endpoint: Endpoint = { kind: 'tcp', host: '127.0.0.1', port: (server.address() as { port: number }).port, serverPid: process.pid };
    const conns = await openMany(endpoint, 2, 2);
    onCleanup(() => conns.forEach((c) => c.socket.destroy()));
    const load = new ActiveLoad(endpoint, conns, payload, TICK_MS);
    load.openWindow();
    load.start();
    await expect.poll(() => load.sent, { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
    load.closeWindow();
    const result = await load.stop(50);
    expect(result.samples).toEqual([]);
    expect(result.lost).toBeGreaterThanOrEqual(4);
  });
});
