/**
 * The load generator against real servers, in miniature: short windows, few connections. What is
 * checked is that every job measures something and refuses servers that answer wrongly; speed is
 * for `npm run bench`, never for tests.
 */
import { type Server, type Socket, createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocketServer as WsServer } from 'ws';
import { computeAccept } from '../../src/protocol/handshake.js';
import { broadcast } from '../../scripts/bench/loadgen/broadcast.js';
import { openMany } from '../../scripts/bench/loadgen/connect.js';
import { pingPong, pipelined } from '../../scripts/bench/loadgen/echo.js';
import { handshakes } from '../../scripts/bench/loadgen/handshakes.js';
import type { Endpoint, Timing } from '../../scripts/bench/jobs.js';
import { startScript } from '../helpers/scripts.js';
import { echo, onCleanup, rawServer } from '../helpers/servers.js';

const timing: Timing = { warmupMs: 20, durationMs: 150 };

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as { port: number }).port;
}

async function ourEcho(): Promise<Endpoint> {
  const server = await rawServer(echo, { readLimit: 64 * 1024 * 1024 });
  return { kind: 'ws', host: '127.0.0.1', port: server.port, serverPid: process.pid };
}

describe('load generator', () => {
  it('pipelines, ping-pongs and churns handshakes against our echo server', async () => {
    const endpoint = await ourEcho();
    const piped = await pipelined(endpoint, 1024, 'binary', timing);
    expect(piped.count).toBeGreaterThan(0);
    expect(piped.payloadBytes).toBe(piped.count * 1024);
    expect(piped.seconds).toBeGreaterThan(0.1);
    expect(piped.negotiated).toBeUndefined();
    const pp = await pingPong(endpoint, 32, 3, timing);
    expect(pp.count).toBeGreaterThan(0);
    expect(pp.latency!.p50).toBeGreaterThan(0);
    expect(pp.latency!.p99).toBeGreaterThanOrEqual(pp.latency!.p50);
    const hs = await handshakes(endpoint, 4, timing);
    expect(hs.count).toBeGreaterThan(0);
    expect(hs.failures).toBe(0);
  });

  it('holds idle connections open until told to close them', async () => {
    const server = await rawServer(echo);
    const endpoint: Endpoint = { kind: 'ws', host: '127.0.0.1', port: server.port, serverPid: process.pid };
    const conns = await openMany(endpoint, 20, 5);
    expect(conns).toHaveLength(20);
    await expect.poll(() => server.connections.size).toBe(20);
    for (const c of conns) c.socket.destroy();
    await expect.poll(() => server.connections.size).toBe(0);
  });

  it('measures a raw TCP echo by byte counts', async () => {
    const server = createServer((s) => s.on('error', () => {}).pipe(s));
    const port = await listen(server);
    const r = await pipelined({ kind: 'tcp', host: '127.0.0.1', port, serverPid: process.pid }, 32, 'binary', timing);
    expect(r.count).toBeGreaterThan(0);
    const hs = await handshakes({ kind: 'tcp', host: '127.0.0.1', port, serverPid: process.pid }, 2, timing);
    expect(hs.count).toBeGreaterThan(0);
  });

  it('negotiates permessage-deflate with ws and checks the inflated echo; reports when it is not negotiated', async () => {
    const wss = new WsServer({ port: 0, host: '127.0.0.1', perMessageDeflate: true });
    await new Promise((resolve) => wss.once('listening', resolve));
    onCleanup(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
    const port = (wss.address() as { port: number }).port;
    const r = await pipelined({ kind: 'ws', host: '127.0.0.1', port, serverPid: process.pid, offerDeflate: true }, 2048, 'json', timing);
    expect(r.negotiated).toBe(true);
    expect(r.count).toBeGreaterThan(0);
    const ours = { ...(await ourEcho()), offerDeflate: true };
    const refused = await pipelined(ours, 2048, 'json', timing);
    expect(refused).toMatchObject({ negotiated: false, count: 0 });
  });

  it('refuses a server whose echo differs from what was sent', async () => {
    // A fake server: a valid 101, then a text frame "nope" whatever it receives.
    const server = createServer((socket: Socket) => {
      let upgraded = false;
      socket.on('data', () => {
        if (!upgraded) {
          upgraded = true;
          const accept = computeAccept('dGhlIHNhbXBsZSBub25jZQ==');
          socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
          return;
        }
        socket.write(Buffer.from([0x81, 4, ...Buffer.from('nope')]));
      });
      socket.on('error', () => {});
    });
    const port = await listen(server);
    await expect(pipelined({ kind: 'ws', host: '127.0.0.1', port, serverPid: process.pid }, 32, 'binary', timing)).rejects.toThrow(/differs/);
  });

  it('broadcasts through the bench broadcast server, checking every client gets the message once', async () => {
    const { line } = await startScript('scripts/bench/servers/broadcast-ours.ts', ['--port', '0']);
    const url = new URL(line.replace('listening on ', ''));
    const r = await broadcast({ kind: 'ws', host: url.hostname, port: Number(url.port), serverPid: process.pid }, 20, 64, 4, timing);
    expect(r.count).toBeGreaterThan(0);
    expect(r.payloadBytes).toBe(r.count * 64);
  }, 20_000);
});
