/**
 * A server program run as users run it, in a child process: started with a `PORT`, waited on until
 * it prints the line that says it listens, then watched for anything else it prints and for an
 * early exit. With `heap: true` it also answers heap probes (after a forced GC) over IPC.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from './scripts.js';
import { onCleanup } from './servers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const heapProbe = new URL('../../scripts/chaos/heap-probe.ts', import.meta.url).href;

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  /** The first match of `ready` in its output. */
  ready: RegExpMatchArray;
  /** What it printed (stdout and stderr) after the ready line. */
  laterOutput(): string;
  /** Whether it has exited. */
  exited(): boolean;
  /** Its heap in bytes after a forced GC (needs `heap: true`). */
  heapUsed(): Promise<number>;
  /** SIGTERM, then resolves with its exit code (or signal). */
  stop(): Promise<number | string | null>;
}

/**
 * Starts `file` on a free port. A port found free here may be taken by another test before the
 * child binds it: a start that fails with EADDRINUSE is tried again on another port.
 */
export async function startServerProcess(file: string, ready: RegExp, options: { heap?: boolean; env?: Record<string, string> } = {}): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(file, ready, options, await freePort());
    } catch (err) {
      if (attempt >= 3 || !/EADDRINUSE|already in use/.test(String(err))) throw err;
    }
  }
}

async function startOnce(file: string, ready: RegExp, options: { heap?: boolean; env?: Record<string, string> }, port: number): Promise<ServerProcess> {
  const flags = options.heap === true ? ['--expose-gc', '--import', 'tsx', '--import', heapProbe] : ['--import', 'tsx'];
  const child = spawn(process.execPath, [...flags, file], {
    cwd: root,
    env: { ...process.env, PORT: String(port), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const exit = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  let exited = false;
  void exit.then(() => (exited = true));
  onCleanup(() => {
    if (!exited) child.kill('SIGKILL');
  });
  let output = '';
  let readyAt = -1;
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const m = readyAt < 0 ? output.match(ready) : null;
      if (m !== null) {
        readyAt = output.indexOf('\n', (m.index ?? 0) + m[0].length) + 1 || output.length;
        resolve(m);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exit.then((code) => reject(new Error(`${file} exited (${code}) before it was ready:\n${output}`)));
  });
  return {
    child,
    port,
    ready: match,
    laterOutput: () => output.slice(readyAt),
    exited: () => exited,
    heapUsed: () =>
      new Promise<number>((resolve) => {
        child.once('message', (m: { heapUsed: number }) => resolve(m.heapUsed));
        child.send('heap');
      }),
    stop: () => {
      child.kill('SIGTERM');
      return exit;
    },
  };
}
