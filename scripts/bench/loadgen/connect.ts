/**
 * Opening connections for the load generator: a raw socket and, for WebSocket servers, a
 * handshake written and checked by hand (no client library between the load and the server).
 *
 * Sockets read with `onread` into one shared buffer: no Buffer is allocated per read and no
 * 'data' event goes through the stream machinery, which roughly halves what each read costs the
 * load generator. The price: a chunk is valid only during its handler call; keep a copy if needed.
 */
import { type Socket, connect as netConnect } from 'node:net';
import type { Endpoint } from '../jobs.js';
import { EXPECTED_ACCEPT, upgradeRequest } from './frames.js';

/** Every socket reads into this buffer; each read is handled before the next one starts. */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

export type ChunkHandler = (chunk: Buffer) => void;

/** A socket whose reads go to a handler that can be replaced at any time. */
export interface Reader {
  socket: Socket;
  /** Receives every chunk read; the chunk is overwritten after the call returns. */
  onData: ChunkHandler;
}

const ignore: ChunkHandler = () => {};

/** Connects with reads routed to `reader.onData`. */
export function connectReader(endpoint: Pick<Endpoint, 'host' | 'port' | 'localAddress'>, onData: ChunkHandler = ignore): Reader {
  const reader: Reader = {
    socket: undefined as unknown as Socket,
    onData,
  };
  reader.socket = netConnect({
    host: endpoint.host,
    port: endpoint.port,
    ...(endpoint.localAddress !== undefined ? { localAddress: endpoint.localAddress } : {}),
    noDelay: true,
    onread: {
      buffer: READ_BUFFER,
      callback: (n: number, buffer: Uint8Array): boolean => {
        reader.onData((buffer as Buffer).subarray(0, n));
        return true; // false would pause the socket
      },
    },
  });
  return reader;
}

export interface Opened extends Reader {
  /** Bytes that arrived right after the handshake response (a copy), to be counted first. */
  leftover: Buffer;
  /** The server accepted permessage-deflate. */
  deflate: boolean;
}

const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
const PING_BYTE = Buffer.from([0x2a]);

/**
 * Connects and, for `ws` endpoints, completes the opening handshake; for `tcp` endpoints, waits for
 * one echoed byte, so that in both cases the server has accepted the connection when this resolves.
 * The socket is paused: set `onData`, then `resume()`.
 */
export function open(endpoint: Endpoint): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const reader = connectReader(endpoint);
    const { socket } = reader;
    let received = Buffer.alloc(0);
    const fail = (err: Error): void => {
      socket.destroy();
      reject(err);
    };
    const onError = (err: Error): void => fail(err);
    const onClose = (): void => fail(new Error('connection closed during the handshake'));
    const finish = (leftover: Buffer, deflate: boolean): void => {
      socket.pause();
      reader.onData = ignore;
      socket.off('error', onError);
      socket.off('close', onClose);
      socket.on('error', () => {}); // teardown destroys sockets; resets are expected then
      resolve(Object.assign(reader, { leftover, deflate })); // the same object: onread calls its onData
    };
    reader.onData = (chunk) => {
      received = Buffer.concat([received, chunk]); // a copy: the chunk is reused
      if (endpoint.kind === 'tcp') return finish(received.subarray(1), false);
      const end = received.indexOf(HEAD_END);
      if (end < 0) {
        if (received.length > 16 * 1024) fail(new Error('handshake response head too large'));
        return;
      }
      const head = received.subarray(0, end).toString('latin1');
      const problem = checkResponse(head);
      if (problem !== null) return fail(new Error(`${problem}\n${head}`));
      finish(received.subarray(end + HEAD_END.length), /permessage-deflate/i.test(header(head, 'sec-websocket-extensions') ?? ''));
    };
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.once('connect', () => {
      socket.write(endpoint.kind === 'tcp' ? PING_BYTE : upgradeRequest(endpoint.host, endpoint.port, endpoint.offerDeflate ?? false, endpoint.path));
    });
  });
}

/** Why a handshake response is not a valid 101 for our key (§4.1), or null when it is. */
export function checkResponse(head: string): string | null {
  const status = head.slice(0, head.indexOf('\r\n') >>> 0);
  if (!/^HTTP\/1\.1 101\b/.test(status)) return `expected 101, got "${status}"`;
  if (header(head, 'sec-websocket-accept') !== EXPECTED_ACCEPT) return 'wrong Sec-WebSocket-Accept';
  return null;
}

/** The value of header `name` (lower case) in a response head, or undefined. */
export function header(head: string, name: string): string | undefined {
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === name) return line.slice(colon + 1).trim();
  }
  return undefined;
}

/** Opens `count` connections, at most `concurrency` handshakes at a time; all or none. */
export async function openMany(endpoint: Endpoint, count: number, concurrency: number): Promise<Opened[]> {
  const opened: Opened[] = [];
  let started = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && started < count) {
      started++;
      const o = await open(endpoint);
      if (failed) o.socket.destroy();
      else opened.push(o);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  } catch (err) {
    failed = true;
    for (const o of opened) o.socket.destroy();
    throw err;
  }
  return opened;
}
