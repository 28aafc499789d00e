/**
 * Testees: what the conformance cases run against. A testee hands out peers, one per case, each
 * at the far end of a fresh WebSocket connection to the code under test. The server side is
 * `scripts/echo-server.ts`, the Autobahn testee itself, spawned once per test file. A client is
 * tested with {@link clientTestee}: it makes the client connect, accepts the connection as a
 * scripted server, and hands out peers with role 'server' that run the same case tables.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { Peer, type PeerOptions } from './peer.js';

export interface Testee {
  /** What is under test, for messages. */
  readonly name: string;
  /** A new connection to the testee, as the peer that drives it. */
  open(): Promise<Peer>;
}

/** §1.3: the GUID the accept key is derived with. */
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/**
 * `scripts/echo-server.ts` on a port of its choosing, started before the file's first test and
 * killed after its last, which fails if the server did not survive every case (bad input must
 * never crash it). (`startScript` in test/helpers stops its child after each test; one server
 * for a whole file keeps the suite fast.)
 */
export function echoServerTestee(): Testee {
  let server: { child: ChildProcess; port: number; output: () => string } | null = null;
  beforeAll(async () => {
    server = await spawnEchoServer();
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
    open: () => openClientPeer(server!.port),
  };
}

async function spawnEchoServer(): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/echo-server.ts', '--port', '0', '--host', '127.0.0.1'], {
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

/** Connects to a WebSocket server and completes the opening handshake (§4.1), checking the answer. */
export async function openClientPeer(port: number, options: PeerOptions = {}): Promise<Peer> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const key = randomBytes(16).toString('base64');
  socket.write(
    `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  const { head, rest } = await readHead(socket);
  const [status, ...lines] = head.split('\r\n');
  const headers = parseHeaderLines(lines);
  const accept = createHash('sha1').update(key + GUID).digest('base64');
  const problem =
    !/^HTTP\/1\.1 101 /.test(status ?? '') ? 'status is not 101'
    : headers.get('upgrade')?.toLowerCase() !== 'websocket' ? 'Upgrade is not websocket'
    : !/\bupgrade\b/i.test(headers.get('connection') ?? '') ? 'Connection does not list Upgrade'
    : headers.get('sec-websocket-accept') !== accept ? 'Sec-WebSocket-Accept is wrong'
    : headers.has('sec-websocket-extensions') && options.rsv1Allowed !== true ? 'an extension was accepted that was not offered'
    : null;
  if (problem !== null) {
    socket.destroy();
    throw new Error(`opening handshake refused (${problem}):\n${head}`);
  }
  const peer = new Peer('client', socket, rest, options);
  socket.resume(); // paused by readHead until the peer listens
  return peer;
}

/** An HTTP head (up to the blank line) and the bytes after it, leaving the socket paused. */
function readHead(socket: Socket): Promise<{ head: string; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) {
        if (received.length > 16 * 1024) fail(new Error('HTTP head too long'));
        return;
      }
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', fail);
      socket.pause();
      resolve({ head: received.subarray(0, end).toString('latin1'), rest: received.subarray(end + 4) });
    };
    const onEnd = (): void => fail(new Error(`connection ended during the handshake: ${received.toString('latin1')}`));
    const fail = (err: Error): void => {
      socket.off('data', onData);
      socket.destroy();
      reject(err);
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('error', fail);
  });
}

/**
 * A client under test. `launch(url)` makes it connect to `url` and echo every message it gets, as
 * Autobahn's client driver does (a script, or a Dialer in process); this side accepts the
 * connection as a scripted server. One listener for the calling test file.
 */
export function clientTestee(name: string, launch: (url: string) => void | Promise<void>): Testee {
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
    async open() {
      const socket = arrived.shift() ?? new Promise<Socket>((resolve) => (waiting = resolve));
      await launch(`ws://127.0.0.1:${port}/`);
      return acceptServerPeer(await socket);
    },
  };
}

/** Reads a client's opening handshake on `socket`, checks it (§4.2.1) and accepts it (§4.2.2). */
export async function acceptServerPeer(socket: Socket, options: PeerOptions = {}): Promise<Peer> {
  const { head, rest } = await readHead(socket);
  const [requestLine, ...lines] = head.split('\r\n');
  const headers = parseHeaderLines(lines);
  const key = headers.get('sec-websocket-key') ?? '';
  const problem =
    !/^GET \S+ HTTP\/1\.1$/.test(requestLine ?? '') ? 'not a GET with HTTP/1.1'
    : headers.get('upgrade')?.toLowerCase() !== 'websocket' ? 'Upgrade is not websocket'
    : !/\bupgrade\b/i.test(headers.get('connection') ?? '') ? 'Connection does not list Upgrade'
    : headers.get('sec-websocket-version') !== '13' ? 'Sec-WebSocket-Version is not 13'
    : Buffer.from(key, 'base64').length !== 16 ? 'Sec-WebSocket-Key is not 16 bytes in base64'
    : null;
  if (problem !== null) {
    socket.destroy();
    throw new Error(`the client's opening handshake is wrong (${problem}):\n${head}`);
  }
  const accept = createHash('sha1').update(key + GUID).digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  const peer = new Peer('server', socket, rest, options);
  socket.resume();
  return peer;
}

function parseHeaderLines(lines: readonly string[]): Map<string, string> {
  return new Map(
    lines.map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()] as const;
    }),
  );
}
