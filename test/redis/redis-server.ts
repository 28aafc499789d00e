/**
 * A throwaway redis-server for a test: a free loopback port, no persistence, stopped afterwards.
 * `.ci/run` installs Debian's redis-server when it is missing. Without it these tests are skipped
 * locally (with a message saying so) and fail in CI, as the browser tests do without Chromium.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { onFreePort, unassignedPort } from '../helpers/scripts.js';

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

/**
 * Starts redis-server. Its port must stay ours while it is down (`kill` then `restart`: the
 * clients and chat processes reconnect to the same URL), so it comes from `unassignedPort()`:
 * below the ephemeral range, where no other test's `listen(0)` and no outgoing connection can
 * land on it during the outage. A first start that loses the port anyway (some test named that
 * number) is made again on another port; a restart cannot move, and says that its port was taken.
 */
export async function startRedis(): Promise<RedisServer> {
  if (!existsSync(REDIS_SERVER_PATH)) throw new Error(`redis-server is required here but ${REDIS_SERVER_PATH} is missing: .ci/run installs it with apt-get`);
  return onFreePort(async (port) => {
    const server = redisOn(port);
    await server.restart();
    return server;
  }, unassignedPort);
}

function redisOn(port: number): RedisServer {
  let child: ChildProcess | null = null;
  /** Resolves when it says it accepts connections, which it says only once it has bound the port. */
  const launch = async (): Promise<void> => {
    const proc = spawn(REDIS_SERVER_PATH, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer): void => {
        output = (output + d.toString()).slice(-4000);
        if (output.includes('Ready to accept connections')) resolve();
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', onData);
      // Its own line, not a PING: a PING could be answered by another server that has the port.
      proc.once('close', (code) => reject(new Error(`redis-server on port ${port} exited (${code}) before it was ready: ${output}`)));
    });
  };
  const kill = async (): Promise<void> => {
    const proc: ChildProcess | null = child;
    child = null;
    if (proc === null || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGKILL');
    await gone;
  };
  return { port, url: `redis://127.0.0.1:${port}`, kill, restart: launch, stop: kill };
}
