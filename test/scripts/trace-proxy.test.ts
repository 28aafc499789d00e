/**
 * scripts/trace.ts --listen … --upstream …: a proxy between real clients and the real
 * scripts/echo-server.ts. The bytes pass unchanged (the echoes come back right, masked frames
 * included); every connection's handshake and frames are printed, numbered.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { BinaryMessage, Dialer, TextMessage } from '../../src/index.js';
import { LineCollector } from '../helpers/lines.js';
import { onFreePort, startEchoServer } from '../helpers/scripts.js';
import { onCleanup } from '../helpers/servers.js';

interface Proxy {
  port: number;
  out: LineCollector;
  stop: () => Promise<number | null>;
}

/** The proxy on `--listen N`, N known in advance: its line must name that port. */
function proxy(upstreamPort: number): Promise<Proxy> {
  return onFreePort((port) => proxyOn(port, upstreamPort));
}

async function proxyOn(port: number, upstreamPort: number): Promise<Proxy> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/trace.ts', '--listen', String(port), '--upstream', `ws://127.0.0.1:${upstreamPort}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onCleanup(() => {
    child.kill('SIGKILL');
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const out = new LineCollector(child.stdout);
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  // 'close', not 'exit': by then all it printed (EADDRINUSE, when it lost its port) has been read.
  const closed = new Promise<never>((_, reject) => child.once('close', (code) => reject(new Error(`trace.ts --listen ${port} exited (${code}):\n${err}`))));
  expect(await Promise.race([out.waitFor(/^listening on /), closed])).toBe(`listening on ws://127.0.0.1:${port}, forwarding to ws://127.0.0.1:${upstreamPort}`);
  return {
    port,
    out,
    stop: () => {
      child.kill('SIGTERM');
      return exit;
    },
  };
}

describe('scripts/trace.ts --listen --upstream (proxy mode)', () => {
  it('forwards unchanged bytes both ways and prints each connection, numbered', async () => {
    const { port: echoPort } = await startEchoServer(['--compression']);
    const { port, out, stop } = await proxy(echoPort);

    // #1: our Dialer, compressing everything it sends.
    const { conn, response } = await new Dialer({ enableCompression: { threshold: 0 } }).dial(`ws://127.0.0.1:${port}/room?x=1`);
    expect(response.headers.get('sec-websocket-extensions')).toBe('permessage-deflate');
    await conn.writeMessage(TextMessage, 'through the proxy');
    expect((await conn.readMessage()).data.toString()).toBe('through the proxy');
    const binary = Buffer.from([0, 1, 2, 250, 251, 252]);
    await conn.writeMessage(BinaryMessage, binary);
    expect((await conn.readMessage()).data).toEqual(binary);
    await conn.close(1000, 'done');
    await out.waitFor(/^\[#1\] closed$/);

    // #2: the ws library, no compression, a ping and a message cut into fragments.
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
    onCleanup(() => ws.terminate());
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const echoed = new Promise<string>((resolve) => ws.once('message', (d: Buffer) => resolve(d.toString())));
    ws.ping('are you there');
    ws.send('frag', { fin: false });
    ws.send('mented', { fin: true });
    expect(await echoed).toBe('fragmented');
    ws.close(4000, 'bye');
    await out.waitFor(/^\[#2\] closed$/);
    expect(await stop()).toBe(0);

    const one = out.lines.filter((l) => l.startsWith('[#1] '));
    expect(one[0]).toMatch(/^\[#1\] connection from 127\.0\.0\.1:\d+ to 127\.0\.0\.1:\d+$/);
    expect(one[1]).toBe('[#1] C→S GET /room?x=1 HTTP/1.1');
    expect(one).toContain('[#1] S→C HTTP/1.1 101 Switching Protocols');
    expect(one).toContain('[#1] upgraded: permessage-deflate (C→S context takeover, window 15 bits; S→C context takeover, window 15 bits)');
    const frames = one.slice(one.findIndex((l) => l.includes('upgraded:')) + 1);
    expect(frames).toEqual([
      expect.stringMatching(/^\[#1\] C→S fin=1 rsv=100 text   mask=[0-9a-f]{8} len=\d+ deflated hex:/),
      expect.stringMatching(/^\[#1\] C→S message text, inflated \d+ → 17 bytes: "through the proxy"$/),
      expect.stringMatching(/^\[#1\] S→C fin=1 rsv=100 text   unmasked len=\d+ deflated hex:/),
      expect.stringMatching(/^\[#1\] S→C message text, inflated \d+ → 17 bytes: "through the proxy"$/),
      expect.stringMatching(/^\[#1\] C→S fin=1 rsv=100 binary mask=[0-9a-f]{8} len=\d+ deflated hex:/),
      expect.stringMatching(/^\[#1\] C→S message binary, inflated \d+ → 6 bytes: hex:00 01 02 fa fb fc$/),
      expect.stringMatching(/^\[#1\] S→C fin=1 rsv=100 binary unmasked len=\d+ deflated hex:/),
      expect.stringMatching(/^\[#1\] S→C message binary, inflated \d+ → 6 bytes: hex:00 01 02 fa fb fc$/),
      expect.stringMatching(/^\[#1\] C→S fin=1 rsv=000 close  mask=[0-9a-f]{8} len=6 code=1000 \(normal closure\) reason="done"$/),
      '[#1] S→C fin=1 rsv=000 close  unmasked len=2 code=1000 (normal closure) reason=""', // the code echoed (§5.5.1)
      '[#1] closed',
    ]);

    const two = out.lines.filter((l) => l.startsWith('[#2] '));
    expect(two).toContain('[#2] upgraded: no compression');
    const frames2 = two.slice(two.findIndex((l) => l.includes('upgraded:')) + 1);
    // Each direction in order (how the two interleave depends on timing).
    expect(frames2.filter((l) => l.startsWith('[#2] C→S'))).toEqual([
      expect.stringMatching(/^\[#2\] C→S fin=1 rsv=000 ping   mask=[0-9a-f]{8} len=13 "are you there"$/),
      expect.stringMatching(/^\[#2\] C→S fin=0 rsv=000 text   mask=[0-9a-f]{8} len=4 "frag"$/),
      expect.stringMatching(/^\[#2\] C→S fin=1 rsv=000 cont   mask=[0-9a-f]{8} len=6 "mented"$/),
      expect.stringMatching(/^\[#2\] C→S fin=1 rsv=000 close  mask=[0-9a-f]{8} len=5 code=4000 \(private use\) reason="bye"$/),
    ]);
    expect(frames2.filter((l) => l.startsWith('[#2] S→C'))).toEqual([
      '[#2] S→C fin=1 rsv=000 pong   unmasked len=13 "are you there"',
      '[#2] S→C fin=1 rsv=000 text   unmasked len=10 "fragmented"',
      '[#2] S→C fin=1 rsv=000 close  unmasked len=2 code=4000 (private use) reason=""',
    ]);
    expect(frames2.at(-1)).toBe('[#2] closed');
  }, 30_000);

  it('passes plain HTTP through without decoding it', async () => {
    const { port: echoPort } = await startEchoServer();
    const { port, out } = await proxy(echoPort);
    const res = await fetch(`http://127.0.0.1:${port}/`);
    expect(res.status).toBe(426); // the echo server's answer, through the proxy
    await out.waitFor(/^\[#1\] closed$/);
    expect(out.lines).toContain('[#1] S→C HTTP/1.1 426 Upgrade Required');
    expect(out.lines).toContain('[#1] the server answered 426, not 101: not a WebSocket connection, the rest is not decoded');
  }, 30_000);
});
