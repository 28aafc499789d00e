/**
 * Our client under test through `scripts/echo-client.ts`, the driver that `scripts/autobahn.sh
 * client` runs against wstest's fuzzing server. This side plays that server: it answers
 * `/getCaseCount` with the number of cases in the file, takes each `/runCase?case=N&agent=…`
 * connection as the peer of case N (N counting from 1 in the file's order), and closes the
 * `/updateReports` connection at the end. The driver echoes every message and dials the next case
 * once the last connection has closed, so the cases run in order, one connection each.
 *
 * A case that did not run here (filtered out with `-t`, or abandoned after a timeout) still gets
 * its connection from the driver; it is closed normally, unjudged, and the next one is taken.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { type Server, type Socket, createServer } from 'node:net';
import { afterAll, beforeAll, expect } from 'vitest';
import { type ClientRequest, acceptRequest, readRequest } from './handshake.js';
import type { Peer } from './peer.js';
import type { ConformanceCase } from './run-cases.js';
import type { Testee } from './testee.js';
import { close, text } from './wire.js';

const AGENT = 'rfc6455';

/** The driver with `--compression`: it offers permessage-deflate on every connection and compresses everything it sends. */
export function fuzzingServerTestee(options: { compression?: boolean } = {}): Testee {
  let cases: readonly ConformanceCase[] = [];
  let server: Server | null = null;
  let driver: ChildProcess | null = null;
  let output = '';
  let exited: Promise<number | null> = Promise.resolve(null);
  const requests = new RequestQueue();

  beforeAll(async () => {
    server = createServer((socket) => requests.arrive(socket));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const flags = options.compression === true ? ['--compression'] : [];
    driver = spawn(process.execPath, ['--import', 'tsx', 'scripts/echo-client.ts', '--url', `ws://127.0.0.1:${port}`, '--agent', AGENT, ...flags], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    driver.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    driver.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    exited = new Promise((resolve) =>
      driver!.once('exit', (code) => {
        requests.fail(new Error(`scripts/echo-client.ts exited (${code}) while a connection was awaited:\n${output}`));
        resolve(code);
      }),
    );
    const first = await requests.next();
    expect(first.target, 'the driver starts by asking for the number of cases').toBe('/getCaseCount');
    const peer = acceptRequest(first);
    try {
      await peer.send(text(String(cases.length)));
      await peer.closeNormally();
    } finally {
      peer.destroy();
    }
  }, 30_000);

  afterAll(async () => {
    try {
      for (;;) {
        const request = await requests.next();
        if (request.target.startsWith('/runCase?')) {
          await dismiss(request);
          continue;
        }
        expect(request.target).toBe(`/updateReports?agent=${AGENT}`);
        await dismiss(request);
        break;
      }
      expect(await exited, `scripts/echo-client.ts exit status; its output:\n${output}`).toBe(0);
      expect(output).toContain(`${cases.length} cases`);
      expect(output).toContain('reports updated');
    } finally {
      driver?.kill('SIGKILL');
      requests.closeAll();
      await new Promise<void>((resolve) => (server === null ? resolve() : server.close(() => resolve())));
    }
  }, 30_000);

  return {
    name: 'scripts/echo-client.ts',
    plan(all) {
      cases = all;
    },
    async open(c) {
      const n = cases.indexOf(c) + 1;
      for (;;) {
        const request = await requests.next();
        const m = /^\/runCase\?case=(\d+)&agent=([^&]*)$/.exec(request.target);
        if (m === null || m[2] !== AGENT) {
          request.socket.destroy();
          throw new Error(`expected the driver to run case ${n} (/runCase?case=${n}&agent=${AGENT}), got ${request.target}`);
        }
        const k = Number(m[1]);
        if (k === n) return acceptRequest(request, c.handshake);
        if (k > n) {
          request.socket.destroy();
          throw new Error(`the driver skipped to case ${k}; case ${n} was due`);
        }
        await dismiss(request);
      }
    },
  };
}

/** Accepts a connection that no case judges and closes it normally. */
async function dismiss(request: ClientRequest): Promise<void> {
  const peer: Peer = acceptRequest(request);
  try {
    await peer.send(close(1000));
    for (let e = await peer.next('the close answer'); e.kind !== 'close' && e.kind !== 'eof'; e = await peer.next('the close answer'));
    peer.destroy();
  } catch {
    peer.destroy();
  }
}

/** The driver's connections, read up to their request, in the order they came. */
class RequestQueue {
  private readonly ready: Array<Promise<ClientRequest>> = [];
  private readonly waiters: Array<{ resolve: (r: ClientRequest) => void; reject: (err: Error) => void }> = [];
  private readonly sockets = new Set<Socket>();
  private failure: Error | null = null;

  arrive(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    const request = readRequest(socket);
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      request.then(waiter.resolve, waiter.reject);
    } else {
      request.catch(() => {}); // reported to whoever takes it
      this.ready.push(request);
    }
  }

  next(): Promise<ClientRequest> {
    const request = this.ready.shift();
    if (request !== undefined) return request;
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** No more connections will come: whoever waits, and waits later, gets `err`. */
  fail(err: Error): void {
    this.failure = err;
    for (const waiter of this.waiters.splice(0)) waiter.reject(err);
  }

  closeAll(): void {
    for (const socket of this.sockets) socket.destroy();
  }
}
