/**
 * A throwaway redis-server for a test: a free loopback port, no persistence, stopped afterwards.
 * `.ci/run` installs Debian's redis-server when it is missing. Without it these tests are skipped
 * locally (with a message saying so) and fail in CI, as the browser tests do without Chromium.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Socket } from 'node:net';
import { freePort } from '../helpers/scripts.js';

export const REDIS_SERVER_PATH = '/usr/bin/redis-server';

/** Whether to skip: only without redis-server and outside CI (`CI` set to anything but '', '0', 'false'). */
export function shouldSkipRedisTests(present: boolean, ci: string | undefined): boolean {
  const inCI = ci !== undefined && !['', '0', 'false'].includes(ci);
  return !present && !inCI;
}

export const skipRedisTests = shouldSkipRedisTests(existsSync(REDIS_SERVER_PATH), process.env.CI);
if (skipRedisTests) {
  console.warn(`redis tests skipped: no ${REDIS_SERVER_PATH} (apt-get install redis-server, or run .ci/run, to run them)`);
}

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Kills the server (SIGKILL) and waits for it to be gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty (there is no persistence). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
  if (!existsSync(REDIS_SERVER_PATH)) throw new Error(`redis-server is required here but ${REDIS_SERVER_PATH} is missing: .ci/run installs it with apt-get`);
  const port = await freePort();
  let child: ChildProcess | null = null;
  const launch = async (): Promise<void> => {
    const proc = spawn(REDIS_SERVER_PATH, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    let output = '';
    proc.stdout!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    proc.stderr!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    const exited = new Promise<never>((_, reject) => proc.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output}`))));
    exited.catch(() => {});
    await Promise.race([waitForPing(port), exited]);
  };
  const kill = async (): Promise<void> => {
    const proc: ChildProcess | null = child;
    child = null;
    if (proc === null || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGKILL');
    await gone;
  };
  await launch();
  return { port, url: `redis://127.0.0.1:${port}`, kill, restart: launch, stop: kill };
}

/** Sends PING until the server answers PONG. */
async function waitForPing(port: number): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    if (await pingOnce(port)) return;
    if (attempt > 500) throw new Error(`redis-server on ${port} does not answer PING`);
    await new Promise((r) => setTimeout(r, 20)); // polling a process that is starting: nothing to wait on
  }
}

function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let reply = '';
    socket.setTimeout(1000, () => socket.destroy());
    socket.once('error', () => resolve(false));
    socket.once('close', () => resolve(reply.startsWith('+PONG')));
    socket.on('data', (d: Buffer) => {
      reply += d.toString();
      if (reply.includes('\r\n')) socket.end();
    });
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
  });
}
