/**
 * The contract of scripts/echo-server.ts: flags, the `listening on ws://HOST:PORT` line, echo with
 * types, a 64 MiB read limit, any origin, and a clean exit on SIGTERM.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { onFreePort, startEchoServer, startScript } from '../helpers/scripts.js';

describe('scripts/echo-server.ts', () => {
  it('prints its URL, echoes with types, accepts any origin and large messages, exits on SIGTERM', async () => {
    // The port named in advance is the point here: started again on another if a test takes it first.
    const { port, child, line } = await onFreePort(async (port) => ({ port, ...(await startScript('scripts/echo-server.ts', ['--port', String(port), '--host', '127.0.0.1'])) }));
    expect(line).toBe(`listening on ws://127.0.0.1:${port}`);
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { origin: 'http://somewhere.else', maxPayload: 0 });
    const received: Array<[boolean, number]> = [];
    const done = new Promise<void>((resolve) =>
      ws.on('message', (d: Buffer, isBinary: boolean) => {
        received.push([isBinary, d.length]);
        if (received.length === 2) resolve();
      }),
    );
    await new Promise((r, j) => {
      ws.once('open', r);
      ws.once('error', j);
    });
    ws.send('text');
    ws.send(Buffer.alloc(40 * 1024 * 1024, 1)); // above the 16 MiB default, within 64 MiB
    await done;
    expect(received).toEqual([
      [false, 4],
      [true, 40 * 1024 * 1024],
    ]);
    ws.close();
    const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  }, 30_000);
});

describe('scripts/echo-server.ts --compression', () => {
  it('negotiates permessage-deflate and echoes compressed', async () => {
    const { port } = await startEchoServer(['--compression']);
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: { threshold: 0 } });
    await new Promise((r, j) => {
      ws.once('open', r);
      ws.once('error', j);
    });
    expect(ws.extensions).toMatch(/^permessage-deflate/);
    const echoed = new Promise<string>((r) => ws.once('message', (d: Buffer) => r(d.toString())));
    ws.send('squeeze '.repeat(100));
    expect(await echoed).toBe('squeeze '.repeat(100));
    ws.close();
  }, 30_000);
});
