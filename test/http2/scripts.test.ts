/**
 * The scripts over HTTP/2: echo-server.ts --http2 [--tls] serves HTTP/1.1 and h2 on one port with
 * its usual `listening on` line; trace.ts --http2 shows the transport and the frames of the stream.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Dialer, TextMessage } from '../../src/index.js';
import { LineCollector } from '../helpers/lines.js';
import { onFreePort } from '../helpers/scripts.js';
import { onCleanup } from '../helpers/servers.js';

interface Run {
  child: ChildProcessWithoutNullStreams;
  out: LineCollector;
  exit: Promise<number | null>;
  /** Rejects, with what it printed on stderr, once it has exited and its output has been read. */
  closed: Promise<never>;
}

function run(script: string, args: string[]): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: 'pipe' });
  onCleanup(() => {
    child.kill('SIGKILL');
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const closed = new Promise<never>((_, reject) => child.once('close', (code) => reject(new Error(`${script} exited (${code}):\n${err}`))));
  closed.catch(() => {}); // awaited only while starting
  return { child, out: new LineCollector(child.stdout), exit, closed };
}

/**
 * echo-server.ts on `--port N`, N known in advance (its line must name it): started again on
 * another port when another test took that one before the server bound it.
 */
function echoServer(flags: string[]): Promise<{ server: Run; port: number; line: string }> {
  return onFreePort(async (port) => {
    const server = run('scripts/echo-server.ts', ['--port', String(port), ...flags]);
    const line = await Promise.race([server.out.waitFor(/^listening on /), server.closed]);
    return { server, port, line };
  });
}

describe('scripts over HTTP/2', () => {
  it('echo-server --http2 --tls: h2 and HTTP/1.1 on one port; trace --http2 shows the transport and frames', { timeout: 60_000 }, async () => {
    const { server, port, line } = await echoServer(['--http2', '--tls']);
    expect(line).toBe(`listening on wss://127.0.0.1:${port}`);
    const certFile = (await server.out.waitFor(/^certificate: /)).slice('certificate: '.length);
    const ca = readFileSync(certFile, 'utf8');

    for (const http2 of [true, false]) {
      const { conn } = await new Dialer({ http2, tls: { ca } }).dial(`wss://localhost:${port}/`);
      expect(conn.transport).toBe(http2 ? 'h2' : 'http/1.1');
      await conn.writeMessage(TextMessage, 'ping');
      expect((await conn.readMessage()).data.toString()).toBe('ping');
      await conn.close();
    }

    const trace = run('scripts/trace.ts', ['--http2', '--insecure', `wss://localhost:${port}/`]);
    expect(await trace.out.waitFor(/^transport: /)).toMatch(/^transport: h2/);
    await trace.out.waitFor(/^upgraded:/);
    trace.child.stdin.write('hello h2\n');
    await trace.out.waitFor(/^S→C .*"hello h2"/);
    trace.child.stdin.end();
    expect(await trace.exit).toBe(0);
    expect(trace.out.lines.some((l) => /^C→S .*"hello h2"/.test(l))).toBe(true);
  });

  it('echo-server --http2 without --tls keeps the ws:// line and serves h2c', { timeout: 60_000 }, async () => {
    const { port, line } = await echoServer(['--http2']);
    expect(line).toBe(`listening on ws://127.0.0.1:${port}`);
    const { conn } = await new Dialer({ http2: true }).dial(`ws://127.0.0.1:${port}/`);
    expect(conn.transport).toBe('h2');
    await conn.writeMessage(TextMessage, 'h2c');
    expect((await conn.readMessage()).data.toString()).toBe('h2c');
    await conn.close();
  });
});
