/**
 * The processes of a benchmark run: servers on one core, the load generator on the other, the
 * micro-benchmarks alone on a core. All run the compiled JavaScript on plain `node`.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Job, LoadResult, Reply } from './jobs.js';
import { openFileLimits } from './proc.js';

/** The root of the compiled tree (it mirrors the repository: `src/`, `scripts/`). */
export const BUILD_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** CPU 0 for servers and micro-benchmarks, CPU 1 for the load generator. */
export const SERVER_CPU = 0;
export const LOAD_CPU = 1;

/** Environment of every child: `ws` without native add-ons even if some get installed. */
export const CHILD_ENV = { ...process.env, WS_NO_BUFFER_UTIL: '1', WS_NO_UTF_8_VALIDATE: '1' };

export interface Launch {
  /** Pin with `taskset` (when it is installed). */
  pin: boolean;
}

let tasksetAvailable: boolean | undefined;

export function hasTaskset(): boolean {
  if (tasksetAvailable === undefined) {
    try {
      execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
      tasksetAvailable = true;
    } catch {
      tasksetAvailable = false;
    }
  }
  return tasksetAvailable;
}

/** The command line for a node (or other `executable`) process on `cpu`, wrapped in `taskset` when pinning. */
export function command(cpu: number, nodeArgs: string[], launch: Launch, executable = process.execPath): string[] {
  const argv = [executable, ...nodeArgs];
  return launch.pin && hasTaskset() ? ['taskset', '-c', String(cpu), ...argv] : argv;
}

/**
 * Throws, saying how to fix it, when processes cannot open `needed` files. Node raises its own
 * soft limit to the hard limit when it starts, so the hard limit is the one that counts.
 */
export function assertOpenFiles(needed: number): void {
  const { hard } = openFileLimits();
  if (hard < needed) {
    throw new Error(
      `this scenario needs ${needed} open files per process, but the hard limit is ${hard}: ` +
        'raise it (as root: `ulimit -Hn 65536` in the shell that runs the bench, or `nofile` in /etc/security/limits.conf) and retry',
    );
  }
}

export interface ServerSpec {
  /** Compiled script, relative to the build root, e.g. `scripts/echo-server.js`. */
  script: string;
  args?: string[];
  /** Extra node flags (e.g. `--cpu-prof`, `--expose-gc`). */
  nodeFlags?: string[];
  /** Open an IPC channel (for the memory probe). */
  ipc?: boolean;
  /** The `bun` binary to run the script on instead of node (`nodeFlags` and `ipc` then do not apply). */
  bun?: string;
}

export class RunningServer {
  readonly host: string;
  readonly port: number;
  private exited: Promise<void>;

  constructor(
    readonly child: ChildProcess,
    url: string,
  ) {
    const u = new URL(url);
    this.host = u.hostname;
    this.port = Number(u.port);
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Asks the server to exit (SIGTERM: a normal exit, which writes CPU profiles), then insists. */
  async stop(graceMs = 4000): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  async kill(): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Sends an IPC message and waits for the first answer. */
  request<T>(message: unknown, timeoutMs = 30_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the server did not answer')), timeoutMs);
      this.child.once('message', (answer: T) => {
        clearTimeout(timer);
        resolve(answer);
      });
      this.child.send(message as object);
    });
  }
}

/** Starts a server and waits for its `listening on <url>` line. */
export function startServer(spec: ServerSpec, launch: Launch): Promise<RunningServer> {
  const script = [join(BUILD_ROOT, spec.script), '--port', '0', '--host', '127.0.0.1', ...(spec.args ?? [])];
  const argv = spec.bun === undefined ? command(SERVER_CPU, [...(spec.nodeFlags ?? []), ...script], launch) : command(SERVER_CPU, script, launch, spec.bun);
  const ipc = spec.ipc === true && spec.bun === undefined;
  const child = spawn(argv[0]!, argv.slice(1), { env: CHILD_ENV, stdio: ['ignore', 'pipe', 'pipe', ...(ipc ? (['ipc'] as const) : [])] });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${spec.script} did not start listening:\n${output}`));
    }, 15_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /listening on (\S+)/.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stdout!.resume(); // keep draining, so the server never blocks on a full pipe
        resolve(new RunningServer(child, match[1]!));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${spec.script} exited (${code ?? signal}) before listening:\n${output.trim()}`));
    });
  });
}

/** The load generator process, driven one job at a time over IPC. */
export class LoadGenerator {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(r: LoadResult): void; reject(e: Error): void }>();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (reply: Reply) => {
      const waiter = this.pending.get(reply.id);
      if (waiter === undefined) return;
      this.pending.delete(reply.id);
      if ('error' in reply) waiter.reject(new Error(reply.error));
      else waiter.resolve(reply.result);
    });
    child.once('exit', (code, signal) => {
      for (const w of this.pending.values()) w.reject(new Error(`the load generator exited (${code ?? signal})`));
      this.pending.clear();
    });
  }

  static start(launch: Launch): LoadGenerator {
    const argv = command(LOAD_CPU, [join(BUILD_ROOT, 'scripts/bench/loadgen/main.js')], launch);
    const child = spawn(argv[0]!, argv.slice(1), { env: CHILD_ENV, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new LoadGenerator(child);
  }

  run(job: Job): Promise<LoadResult> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ id, job });
    });
  }

  stop(): void {
    this.child.disconnect();
  }
}

/** Runs a compiled script pinned to `cpu` and returns its standard output. */
export function runToCompletion(script: string, args: string[], cpu: number, launch: Launch): Promise<string> {
  const argv = command(cpu, [join(BUILD_ROOT, script), ...args], launch);
  const child = spawn(argv[0]!, argv.slice(1), { env: CHILD_ENV, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${script} exited with ${code}`))));
  });
}
