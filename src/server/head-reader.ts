/**
 * Reading an upgrade request's head off a raw socket, under the handshake deadline. Sockets come
 * by the thousand in a burst: each gets one small object, and the socket listeners are shared
 * functions that find it on the socket, rather than a set of closures per socket (what lives
 * through a handshake is promoted to the old generation, and leaves holes there when it goes).
 */
import type { Duplex } from 'node:stream';
import { HandshakeError } from '../protocol/errors.js';
import { type HeadLimits, type ParsedHead, type RequestHead, RequestHeadParser } from '../protocol/http-head.js';

/** Answers a refused request head with its HTTP error and closes the socket. */
export type RefuseHead = (socket: Duplex, err: HandshakeError) => void;

/**
 * Reads the request head; the socket is paused once it is whole, so the bytes after it wait for
 * the connection. A malformed head or the deadline is answered with `refuse` (400, 408, 414,
 * 431); a socket that ends or breaks first is destroyed. Either way the promise rejects with a
 * `HandshakeError`.
 */
export function readRequestHead(socket: Duplex, limits: HeadLimits, timeoutMs: number, refuse: RefuseHead): Promise<ParsedHead<RequestHead>> {
  return new Promise((resolve, reject) => {
    const reading = new HeadReading(socket, new RequestHeadParser(limits), refuse, resolve, reject);
    // A request head sent one byte a second (slowloris) meets this deadline.
    reading.timer = setTimeout(onDeadline, timeoutMs, reading);
    const s = socket as ReadingSocket;
    s[kReading] = reading;
    for (const [event, listener] of LISTENERS) s.on(event, listener);
  });
}

class HeadReading {
  timer: NodeJS.Timeout | undefined;

  constructor(
    readonly socket: Duplex,
    readonly parser: RequestHeadParser,
    readonly refuse: RefuseHead,
    readonly resolve: (head: ParsedHead<RequestHead>) => void,
    readonly reject: (err: HandshakeError) => void,
  ) {}

  /** Stops listening: the head is read, or the handshake is over. */
  done(): void {
    clearTimeout(this.timer);
    const s = this.socket as ReadingSocket;
    s[kReading] = undefined;
    for (const [event, listener] of LISTENERS) s.off(event, listener);
  }

  fail(err: HandshakeError): void {
    this.done();
    this.refuse(this.socket, err);
    this.reject(err);
  }

  /** The socket ended, closed or broke before the head was whole. */
  gone(reason: string): void {
    this.done();
    this.socket.destroy();
    this.reject(new HandshakeError(400, reason));
  }
}

const kReading = Symbol('rfc6455.headReading');
type ReadingSocket = Duplex & { [kReading]?: HeadReading | undefined };

function onData(this: ReadingSocket, chunk: Buffer): void {
  const reading = this[kReading];
  if (reading === undefined) return;
  let parsed: ParsedHead<RequestHead> | null;
  try {
    parsed = reading.parser.push(chunk);
  } catch (err) {
    return reading.fail(err instanceof HandshakeError ? err : new HandshakeError(400, String(err)));
  }
  if (parsed === null) return;
  reading.done();
  // Hold further bytes in the socket until the connection takes over.
  this.pause();
  reading.resolve(parsed);
}

function onGone(this: ReadingSocket): void {
  this[kReading]?.gone('the connection closed during the handshake');
}

function onError(this: ReadingSocket, err: Error): void {
  this[kReading]?.gone(`socket error during the handshake: ${err.message}`);
}

function onDeadline(reading: HeadReading): void {
  reading.fail(new HandshakeError(408, 'handshake timed out'));
}

/** The socket's events while its head is read, and their shared listeners. */
const LISTENERS: ReadonlyArray<readonly [string, Parameters<Duplex['on']>[1]]> = [
  ['data', onData],
  ['end', onGone],
  ['close', onGone],
  ['error', onError],
];
