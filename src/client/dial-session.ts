/**
 * One dial's resources and its cancellation: every socket it opened, the handshake timeout and the
 * caller's `AbortSignal`, and the stage it has reached. Each step (TCP connect, TLS, reading a
 * response) rejects as soon as the dial is aborted or times out; `fail()` then destroys every
 * socket, so a dial that does not succeed leaves nothing open.
 */
import { Buffer } from 'node:buffer';
import { type LookupFunction, type Socket, connect as netConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from 'node:tls';
import { HANDSHAKE_BODY_LIMIT, HANDSHAKE_BODY_WAIT, bodyFraming, decodeBodyPrefix } from './dial-body.js';
import { DialError, type DialStage, DialTimeoutError } from './dial-errors.js';
import { type HeadLimits, HeadParseError, type ParsedHead, type ResponseHead, ResponseHeadParser } from '../protocol/http-head.js';

/** Raw bytes kept while looking for a body prefix (chunk framing included), whatever the framing. */
const MAX_RAW_BODY = 16 * 1024;

export interface HeadErrors {
  /** The error for a response that is not valid HTTP. */
  malformed(err: HeadParseError): Error;
  /** The error for a connection that ended before the head did. */
  closed(): Error;
}

export class DialSession {
  private current: DialStage = 'tcp';
  private readonly controller = new AbortController();
  private readonly sockets: Duplex[] = [];
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly userSignal: AbortSignal | undefined;
  private readonly onUserAbort = (): void => this.controller.abort(this.userSignal!.reason);

  /** `timeout` in ms for the whole dial; 0 or Infinity for none. */
  constructor(timeout: number, signal: AbortSignal | undefined) {
    this.userSignal = signal;
    if (signal !== undefined) {
      if (signal.aborted) this.controller.abort(signal.reason);
      else signal.addEventListener('abort', this.onUserAbort, { once: true });
    }
    if (timeout > 0 && Number.isFinite(timeout)) {
      this.timer = setTimeout(() => this.controller.abort(new DialTimeoutError(this.current, timeout)), timeout);
    }
  }

  /** Aborted by the caller or by the timeout; the reason is what the dial rejects with. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get stage(): DialStage {
    return this.current;
  }

  /** Throws the abort reason if the dial was cancelled (between steps that do not wait). */
  throwIfAborted(): void {
    this.signal.throwIfAborted();
  }

  /** The dial is over: stop the timer and stop listening to the caller's signal. */
  finish(): void {
    clearTimeout(this.timer);
    this.userSignal?.removeEventListener('abort', this.onUserAbort);
  }

  /** The dial succeeded: `socket` now belongs to the connection, which listens for its errors. */
  handOver(socket: Duplex): void {
    this.finish();
    socket.off('error', swallow);
  }

  /** The dial failed: destroy every socket it opened. */
  fail(): void {
    this.finish();
    for (const socket of this.sockets) socket.destroy();
  }

  /** Closes one socket early (a redirect response): the dial goes on with another. */
  discard(socket: Duplex): void {
    socket.destroy();
  }

  /** Opens a TCP connection (DNS lookup included). */
  connectTcp(hostname: string, port: number, lookup: LookupFunction | undefined): Promise<Socket> {
    this.current = 'tcp';
    const socket = netConnect({ host: hostname, port, noDelay: true, ...(lookup !== undefined ? { lookup } : {}) });
    this.track(socket);
    return this.step(socket, 'tcp', (resolve) => {
      const onConnect = (): void => resolve(socket);
      socket.once('connect', onConnect);
      return () => socket.off('connect', onConnect);
    });
  }

  /** Runs the TLS handshake over a connected socket; certificates are verified unless `options` say otherwise. */
  startTls(socket: Duplex, options: ConnectionOptions): Promise<TLSSocket> {
    this.current = 'tls';
    const secure = tlsConnect({ ...options, socket });
    this.track(secure);
    return this.step(secure, 'tls', (resolve) => {
      const onSecure = (): void => resolve(secure);
      secure.once('secureConnect', onSecure);
      return () => secure.off('secureConnect', onSecure);
    });
  }

  /** Writes a request and reads the response head; the socket is paused after it. */
  request(socket: Duplex, stage: DialStage, request: Buffer, limits: HeadLimits, errors: HeadErrors): Promise<ParsedHead<ResponseHead>> {
    this.current = stage;
    const parser = new ResponseHeadParser(limits);
    return this.step(
      socket,
      stage,
      (resolve, reject) => {
        const onData = (chunk: Buffer): void => {
          let parsed: ParsedHead<ResponseHead> | null;
          try {
            parsed = parser.push(chunk);
          } catch (err) {
            return reject(err instanceof HeadParseError ? errors.malformed(err) : err);
          }
          if (parsed === null) return;
          // What follows the head stays in the socket for whoever reads next.
          socket.pause();
          resolve(parsed);
        };
        socket.on('data', onData);
        socket.resume();
        socket.write(request);
        return () => socket.off('data', onData);
      },
      errors.closed,
    );
  }

  /**
   * The first bytes of the body of a refused handshake: at most {@link HANDSHAKE_BODY_LIMIT}, read
   * for at most {@link HANDSHAKE_BODY_WAIT} ms. Best effort: a body cut short by the connection,
   * the wait or the handshake timeout is returned as far as it came. The caller's abort still wins.
   */
  readBodyPrefix(socket: Duplex, head: ResponseHead, rest: Buffer): Promise<Buffer> {
    const framing = bodyFraming(head);
    let raw = Buffer.from(rest);
    const first = decodeBodyPrefix(framing, raw);
    if (first.complete || socket.destroyed || socket.readableEnded) return Promise.resolve(Buffer.from(first.body));
    return new Promise((resolve, reject) => {
      const signal = this.signal;
      const settle = (): void => {
        clearTimeout(wait);
        socket.off('data', onData);
        socket.off('end', onDone);
        socket.off('close', onDone);
        socket.off('error', onDone);
        signal.removeEventListener('abort', onAbort);
        socket.pause();
      };
      const onDone = (): void => {
        settle();
        resolve(Buffer.from(decodeBodyPrefix(framing, raw).body));
      };
      const onData = (chunk: Buffer): void => {
        raw = Buffer.concat([raw, chunk.subarray(0, MAX_RAW_BODY - raw.length)]);
        if (decodeBodyPrefix(framing, raw).complete || raw.length >= MAX_RAW_BODY) onDone();
      };
      const onAbort = (): void => {
        if (signal.reason instanceof DialTimeoutError) return onDone();
        settle();
        reject(signal.reason);
      };
      const wait = setTimeout(onDone, HANDSHAKE_BODY_WAIT);
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort);
      socket.on('data', onData);
      socket.resume();
      socket.on('end', onDone);
      socket.on('close', onDone);
      socket.on('error', onDone);
    });
  }

  private track(socket: Duplex): void {
    this.sockets.push(socket);
    // Between steps nobody else listens: an error then must not crash the process. The next step
    // (or the socket's close) reports it.
    socket.on('error', swallow);
  }

  /**
   * One step over a socket. `start` wires its own events and returns their removal; the step also
   * ends on abort (rejecting with the reason), on a socket error, or on an early end or close.
   */
  private step<T>(
    socket: Duplex,
    stage: DialStage,
    start: (resolve: (value: T) => void, reject: (err: unknown) => void) => () => void,
    closed: () => Error = () => new DialError(stage, `websocket: the connection closed during ${stage}`),
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const signal = this.signal;
      let unwire = (): void => {};
      const cleanup = (): void => {
        unwire();
        socket.off('error', onError);
        socket.off('end', onClosed);
        socket.off('close', onClosed);
        signal.removeEventListener('abort', onAbort);
      };
      const ok = (value: T): void => {
        cleanup();
        resolve(value);
      };
      const fail = (err: unknown): void => {
        cleanup();
        reject(err);
      };
      const onError = (err: Error): void => fail(new DialError(stage, `websocket: ${stage} failed: ${err.message}`, err));
      const onClosed = (): void => fail(closed());
      const onAbort = (): void => fail(signal.reason);
      if (signal.aborted) return onAbort();
      socket.on('error', onError);
      socket.on('end', onClosed);
      socket.on('close', onClosed);
      signal.addEventListener('abort', onAbort);
      unwire = start(ok, fail);
    });
  }
}

function swallow(): void {}
