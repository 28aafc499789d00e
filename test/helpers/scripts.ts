/** Running the repository's scripts as child processes, the way users and CI run them. */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { onCleanup } from './servers.js';

/**
 * A port free now, and only now: a child told to bind it later may find that another test took it
 * in between. Better, the child binds port 0 and says which port it got (`startEchoServer`); when
 * the test needs the number in advance, start the child with `onFreePort`.
 */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Whether an error or a child's output says that its port was taken (EADDRINUSE). */
export function portTaken(text: string): boolean {
  return /EADDRINUSE|already in use/i.test(text);
}

/**
 * `start(port)` on a port from `pick`, started again on another port (three tries in all) when it
 * fails because the port was taken between `pick` and the bind. For a test that needs the number
 * before the child binds it (to check that `--port N` is honoured, or to name it to a harness).
 */
export async function onFreePort<T>(start: (port: number) => Promise<T>, pick: () => Promise<number> = freePort): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const port = await pick();
    try {
      return await start(port);
    } catch (err) {
      if (attempt >= 3 || !portTaken(String(err))) throw err;
    }
  }
}

/** The first port of the range the system picks from for `listen(0)` and for outgoing connections. */
function ephemeralLow(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768; // not Linux: macOS and Windows start theirs at 49152
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

const UNASSIGNED_FROM = 20_000;

/**
 * A port nothing listens on now that the system never hands out by itself: below its ephemeral
 * range, so no other test's `listen(0)` (or `freePort()`) and no outgoing connection can land on
 * it; only a test naming this very number could. For a port that must stay ours while nothing
 * listens on it (a server restarted on the same port, a connection that must be refused) and for
 * a port named in advance where a lost race would not show as EADDRINUSE. Where the range leaves
 * no room below it, falls back to `freePort()`.
 */
export async function unassignedPort(): Promise<number> {
  const below = ephemeralLow();
  if (below - UNASSIGNED_FROM < 1000) return freePort();
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = UNASSIGNED_FROM + Math.floor(Math.random() * (below - UNASSIGNED_FROM));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port between ${UNASSIGNED_FROM} and ${below}`);
}

/** The port of a `listening on ws://HOST:PORT` (or wss://) line. */
export function listeningPort(line: string): number {
  const port = Number(/^listening on wss?:\/\/(?:\[[^\]]*\]|[^:/\s]+):(\d+)/.exec(line)?.[1]);
  if (!(port > 0)) throw new Error(`no port in: ${line}`);
  return port;
}

/**
 * Starts `tsx script args` and waits for its `listening on ws://...` line. If it exits first, the
 * error holds everything it printed (EADDRINUSE included, for `onFreePort`).
 */
export async function startScript(script: string, args: string[]): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  onCleanup(() => {
    child.kill('SIGKILL');
  });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = out.match(/listening on ws:\/\/\S+/);
      if (m) resolve(m[0]);
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    // 'close', not 'exit': by then everything it wrote has been read.
    child.once('close', (code) => reject(new Error(`${script} exited with ${code}: ${out}${err}`)));
  });
  return { child, line };
}

/** scripts/echo-server.ts on a port it picks itself (`--port 0`), read from its `listening on` line. */
export async function startEchoServer(flags: string[] = []): Promise<{ child: ChildProcess; line: string; port: number }> {
  const started = await startScript('scripts/echo-server.ts', ['--port', '0', ...flags]);
  return { ...started, port: listeningPort(started.line) };
}
