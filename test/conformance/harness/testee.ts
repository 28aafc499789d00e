/**
 * Testees: what the conformance cases run against. A testee hands out peers, one per case, each
 * at the far end of a fresh WebSocket connection to the code under test.
 * - {@link echoServerTestee}: `scripts/echo-server.ts`, the Autobahn server testee, spawned once per
 *   test file; peers play the client.
 * - {@link clientTestee}: a client started in process for each case (the `ws` client, or our
 *   Dialer); this side accepts its connection, and peers play the server.
 * - `fuzzingServerTestee` (fuzzing-server.ts): `scripts/echo-client.ts`, the Autobahn client
 *   driver, spawned once per test file and fed the cases as wstest's fuzzing server would.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { type Server, type Socket, createServer } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { acceptRequest, openClientPeer, readRequest } from './handshake.js';
import type { Peer, PeerOptions } from './peer.js';
import type { ConformanceCase } from './run-cases.js';

export interface Testee {
  /** What is under test, for messages. */
  readonly name: string;
  /** Learns the cases of the file before any runs (a driver asks how many there are). */
  plan?(cases: readonly ConformanceCase[]): void;
  /** A new connection to the testee for case `c`, as the peer that drives it. */
  open(c: ConformanceCase): Promise<Peer>;
}

/**
 * `scripts/echo-server.ts` on a port of its choosing (with `--compression`, `--for-await` when asked), started
 * before the file's first test and killed after its last, which fails if the server did not
 * survive every case (bad input must never crash it). (`startScript` in test/helpers stops its
 * child after each test; one server for a whole file keeps the suite fast.)
 */
export function echoServerTestee(options: { compression?: boolean; forAwait?: boolean } = {}): Testee {
  let server: { child: ChildProcess; port: number; output: () => string } | null = null;
  const flags = [...(options.compression === true ? ['--compression'] : []), ...(options.forAwait === true ? ['--for-await'] : [])];
  beforeAll(async () => {
    server = await spawnEchoServer(flags);
  }, 30_000);
  afterAll(() => {
    if (server === null) return;
    const { child, output } = server;
    const died = child.exitCode !== null || child.signalCode !== null;
    child.kill('SIGKILL');
    if (died) throw new Error(`scripts/echo-server.ts died during the run (${child.exitCode ?? child.signalCode}):\n${output()}`);
  });
  return {
    name: 'scripts/echo-server.ts',
    open: (c) => openClientPeer(server!.port, c.handshake),
  };
}

async function spawnEchoServer(flags: string[]): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/echo-server.ts', '--port', '0', '--host', '127.0.0.1', ...flags], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const onData = (d: Buffer): void => {
      output += d.toString();
      const m = /listening on ws:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (m) resolve(Number(m[1]));
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`scripts/echo-server.ts exited with ${code}: ${output}`)));
  });
  return { child, port, output: () => output };
}

/**
 * A client under test, started in process. `launch(url)` makes it connect to `url` (and must not
 * wait for the handshake, which this side completes only afterwards); this side accepts the
 * connection as a scripted server. One listener for the calling test file.
 */
export function clientTestee(name: string, launch: (url: string) => void, options: Pick<PeerOptions, 'clientMayCloseTcpFirst'> = {}): Testee {
  let server: Server | null = null;
  let port = 0;
  const arrived: Socket[] = [];
  let waiting: ((socket: Socket) => void) | null = null;
  beforeAll(async () => {
    server = createServer((socket) => {
      if (waiting !== null) {
        const take = waiting;
        waiting = null;
        take(socket);
      } else {
        arrived.push(socket);
      }
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => (server === null ? resolve() : server.close(() => resolve()))));
  return {
    name,
    async open(c) {
      const socket = arrived.shift() ?? new Promise<Socket>((resolve) => (waiting = resolve));
      launch(`ws://127.0.0.1:${port}/`);
      return acceptRequest(await readRequest(await socket), c.handshake, options);
    },
  };
}
