/**
 * scripts/trace.ts in connect mode, run as a user runs it, against the real scripts/echo-server.ts:
 * lines typed on stdin go out as text messages, and every frame both ways is printed.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { LineCollector } from '../helpers/lines.js';
import { startEchoServer, unassignedPort } from '../helpers/scripts.js';
import { onCleanup } from '../helpers/servers.js';

function trace(args: string[]): { child: ChildProcessWithoutNullStreams; out: LineCollector; err: LineCollector; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/trace.ts', ...args], { stdio: 'pipe' });
  onCleanup(() => {
    child.kill('SIGKILL');
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out: new LineCollector(child.stdout), err: new LineCollector(child.stderr), exit };
}

describe('scripts/trace.ts ws://… (connect mode)', () => {
  it('prints the handshake and every frame both ways, sends typed lines, and exits 0 on close', async () => {
    const { port } = await startEchoServer(['--compression']);
    const { child, out, exit } = trace(['--compression', '--preview', '24', `ws://127.0.0.1:${port}/some/path?q=1`]);
    await out.waitFor(/^upgraded:/);
    child.stdin.write('hello\n');
    await out.waitFor(/^S→C message text, inflated \d+ → 5 bytes: "hello"$/);
    const long = 'all work and no play '.repeat(60); // over the 1 KiB threshold: compressed by the client too
    child.stdin.write(`${long}\n`);
    await out.waitFor(/^S→C message text, inflated \d+ → 1260 bytes/);
    child.stdin.end(); // end of input closes the connection normally
    expect(await exit).toBe(0);

    const lines = out.lines;
    expect(lines.slice(0, 2)).toEqual(['C→S GET /some/path?q=1 HTTP/1.1', `C→S Host: 127.0.0.1:${port}`]);
    expect(lines).toContain('C→S Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits');
    expect(lines).toContain('S→C HTTP/1.1 101 Switching Protocols');
    expect(lines).toContain('upgraded: permessage-deflate (C→S context takeover, window 15 bits; S→C context takeover, window 15 bits)');
    // Below the threshold the client sends plain (masked, shown unmasked); the server compresses everything.
    expect(lines).toContainEqual(expect.stringMatching(/^C→S fin=1 rsv=000 text   mask=[0-9a-f]{8} len=5 "hello"$/));
    expect(lines).toContainEqual(expect.stringMatching(/^S→C fin=1 rsv=100 text   unmasked len=7 deflated hex:/));
    expect(lines).toContainEqual(expect.stringMatching(/^C→S fin=1 rsv=100 text   mask=[0-9a-f]{8} len=\d+ deflated hex:(\w\w ){23}\w\w…\(\+\d+ bytes\)$/));
    for (const from of ['C→S', 'S→C']) {
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${from} message text, inflated \\d+ → 1260 bytes: "all work and no play all"…\\(\\+1236 bytes\\)$`)));
    }
    expect(lines.slice(-3)).toEqual([
      expect.stringMatching(/^C→S fin=1 rsv=000 close  mask=[0-9a-f]{8} len=2 code=1000 \(normal closure\) reason=""$/),
      'S→C fin=1 rsv=000 close  unmasked len=2 code=1000 (normal closure) reason=""',
      'closed: code=1000 reason="" clean=true',
    ]);
  }, 30_000);

  it('prints a refused handshake and exits 1', async () => {
    const server = createServer((_req, res) => res.writeHead(403, { 'Content-Type': 'text/plain' }).end('go away\n'));
    server.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    onCleanup(() => new Promise<void>((r) => server.close(() => r())));
    const { out, err, exit } = trace([`ws://127.0.0.1:${(server.address() as AddressInfo).port}/`]);
    expect(await exit).toBe(1);
    expect(out.lines).toContain('S→C HTTP/1.1 403 Forbidden');
    expect(out.lines).toContain('the server answered 403, not 101: not a WebSocket connection, the rest is not decoded');
    expect(err.lines.join('\n')).toMatch(/^trace: websocket: bad handshake: unexpected status 403/);
  }, 30_000);

  it('says when nothing listens, and when the arguments are wrong', async () => {
    // Not freePort(): another test's server could be given that port before trace connects to it.
    const port = await unassignedPort();
    const refused = trace([`ws://127.0.0.1:${port}/`]);
    expect(await refused.exit).toBe(1);
    expect(refused.out.lines.join('\n')).toMatch(/upstream connection failed: connect ECONNREFUSED/);
    const wrong = trace(['http//nothing']);
    expect(await wrong.exit).toBe(2);
    expect(wrong.err.lines[0]).toBe('trace: not a URL: http//nothing');
  }, 30_000);
});
