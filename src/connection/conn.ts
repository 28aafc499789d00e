/**
 * `Conn`: one WebSocket connection over one socket, for both servers and clients. It binds the
 * sans-I/O state machine (`protocol/connection.ts`) to a Node stream: the read side
 * (`read-side.ts`) and the write side (`write-side.ts`) handle buffering and backpressure, and this
 * file adds the socket's life cycle, the closing handshake's timeouts, handlers, pings and
 * keepalive, behind the promise-based API modeled on gorilla/websocket.
 */
import type { Duplex } from 'node:stream';
import { DeadlineExceededError, IdleTimeoutError, KeepaliveTimeoutError } from '../errors.js';
import {
  type ControlMessageType,
  CloseMessage,
  type DataMessageType,
  type Message,
  type MessageData,
  PingMessage,
  PongMessage,
  TextMessage,
  toBuffer,
} from './message.js';
import type { MessageReader, ReadOptions } from './message-reader.js';
import type { MessageWriter } from './message-writer.js';
import { CONN_DEFAULTS, type ConnLimits, DEFLATE_DEFAULTS, type NegotiatedDeflate } from '../options.js';
import { Compressor, Decompressor } from './permessage-deflate.js';
import type { PreparedMessage } from './prepared-message.js';
import {
  CloseAbnormalClosure,
  CloseGoingAway,
  CloseInternalServerErr,
  CloseNoStatusReceived,
  CloseNormalClosure,
  encodeClosePayload,
  truncateCloseReason,
} from '../protocol/close.js';
import { Connection, type ConnectionEvents, CloseSentError, type DataOpcode, type Role } from '../protocol/connection.js';
import type { DeflateParams } from '../protocol/deflate-negotiation.js';
import { CloseError, type ProtocolError } from '../protocol/errors.js';
import { ReadSide, type ReadSideHost } from './read-side.js';
import { type WriteCompression, type WriteOptions, WriteSide, type WriteSideHost } from './write-side.js';

export type { ConnLimits } from '../options.js';
export type { WriteOptions } from './write-side.js';
export { CONN_DEFAULTS } from '../options.js';

/** @internal How the server or client hands a socket to a new connection. */
export interface ConnInit extends ConnLimits {
  /** Which side of the connection this is: `'server'` or `'client'`. */
  role: Role;
  socket: Duplex;
  /** Bytes read past the handshake: the first WebSocket bytes. */
  head?: Buffer;
  subprotocol?: string;
  /** permessage-deflate, when it was negotiated. */
  deflate?: NegotiatedDeflate | null;
}

/** Options for `Conn.writeControl`: a deadline, and (from {@link WriteOptions}) a signal. */
export interface ControlOptions extends WriteOptions {
  /** Fail with `DeadlineExceededError` if the frame cannot be handed to the socket by then. */
  deadline?: Date | number;
}

/** How a connection ended. */
export interface CloseInfo {
  /** The code of the peer's close frame; 1005 if it had none, 1006 if none came. */
  code: number;
  /** The reason of the peer's close frame ('' when it gave none). */
  reason: string;
  /** Both close frames were exchanged before TCP closed. */
  wasClean: boolean;
}

/** One end of the TCP connection, as `Conn.localAddress` and `Conn.remoteAddress` give it. */
export interface SocketAddress {
  /** The IP address, e.g. `127.0.0.1` or `::1`. */
  address: string;
  /** The TCP port. */
  port: number;
  /** `'IPv4'` or `'IPv6'`. */
  family: string;
}

interface PendingPing {
  sentAt: number;
  resolve(rtt: number): void;
  reject(err: unknown): void;
}

/** Close codes after which iteration simply ends. */
const NORMAL_CLOSE_CODES = new Set([CloseNormalClosure, CloseGoingAway, CloseNoStatusReceived]);

const EMPTY = Buffer.alloc(0);

/**
 * A WebSocket connection. Servers get one from `Upgrader` or `serve()`, clients from `Dialer`.
 *
 * @example
 * ```ts
 * for await (const { type, data } of conn) {
 *   await conn.writeMessage(type, data); // echo
 * }
 * ```
 */
export class Conn implements AsyncIterable<Message>, ConnectionEvents, ReadSideHost, WriteSideHost {
  /**
   * Which side of the connection this is: `'server'` (from `Upgrader` or `serve()`) or `'client'`
   * (from `Dialer`).
   */
  readonly role: Role;
  /** The negotiated subprotocol, or '' when none. */
  readonly subprotocol: string;
  /** The permessage-deflate agreement, or null when messages are not compressed. */
  readonly compression: DeflateParams | null;
  private closedPromise: Promise<CloseInfo> | null = null;
  private closeInfo: CloseInfo | null = null;
  private closeListeners: Array<(info: CloseInfo) => void> | null = null;

  /** @internal */
  readonly socket: Duplex;
  /** @internal */
  readonly core: Connection;
  private readonly reader: ReadSide;
  private readonly writer: WriteSide;
  private readonly closeTimeout: number;

  private pingHandler: ((data: Buffer) => void) | null = null;
  private pongHandler: ((data: Buffer) => void) | null = null;
  private closeHandler: ((code: number, text: string) => void) | null = null;
  /** Made at the first `ping()`: most connections never send one. */
  private pendingPings: Map<string, PendingPing[]> | null = null;
  private pingCounter = 0;
  private keepaliveTimer: NodeJS.Timeout | null = null;
  private pongTimer: NodeJS.Timeout | null = null;
  private readonly pongTimeout: number;
  private lastReceiveAt = 0;
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly idleTimeout: number;
  /** When the last data message began to arrive. */
  private lastMessageAt = Date.now();

  /** Our close frame is queued: no more messages go out. */
  private closingStarted = false;
  private tcpClosing = false;
  private closeTimer: NodeJS.Timeout | null = null;
  /** The connection failed; its close frame waits for the application to read what came before. */
  private failureCloseDue = false;
  private failureTimer: NodeJS.Timeout | null = null;
  private socketClosed = false;
  private peerClose: { code: number; reason: string } | null = null;
  private closePromise: Promise<void> | null = null;

  /** @internal Use `Upgrader`, `serve()` or `Dialer` to get a connection. */
  constructor(init: ConnInit) {
    this.role = init.role;
    this.subprotocol = init.subprotocol ?? '';
    this.socket = init.socket;
    this.compression = init.deflate?.params ?? null;
    this.closeTimeout = init.closeTimeout ?? CONN_DEFAULTS.closeTimeout;
    const writeBufferSize = init.writeBufferSize ?? CONN_DEFAULTS.writeBufferSize;
    // The connection is its own event sink and host for both halves: one object per connection
    // instead of a closure per callback (idle connections are counted in thousands).
    this.core = new Connection(
      {
        role: init.role,
        maxMessageSize: init.readLimit ?? CONN_DEFAULTS.readLimit,
        maxFragments: init.maxFragments ?? CONN_DEFAULTS.maxFragments,
        writeBufferSize,
        compression: this.compression !== null,
        // Messages that arrived before a bad frame are answered before the failure's close frame.
        deferFailureClose: true,
      },
      this,
    );
    const { decompressor, compression } = setUpDeflate(init);
    const writeHighWaterMark = init.writeHighWaterMark ?? CONN_DEFAULTS.writeHighWaterMark;
    this.reader = new ReadSide(this, init.readBufferSize ?? CONN_DEFAULTS.readBufferSize, decompressor, writeHighWaterMark);
    this.writer = new WriteSide(this, writeBufferSize, writeHighWaterMark, compression);

    const socket = this.socket as ConnSocket;
    socket[kConn] = this;
    socket.on('data', onSocketData);
    socket.on('end', onSocketEnd);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    socket.on('drain', onSocketDrain);
    if ('setNoDelay' in socket && typeof socket.setNoDelay === 'function') socket.setNoDelay(true);
    if ('setTimeout' in socket && typeof socket.setTimeout === 'function') socket.setTimeout(0);

    const pingInterval = init.pingInterval ?? CONN_DEFAULTS.pingInterval;
    this.pongTimeout = init.pongTimeout ?? pingInterval;
    if (pingInterval > 0) {
      this.keepaliveTimer = setInterval(() => this.keepaliveTick(), pingInterval);
      this.keepaliveTimer.unref();
    }
    this.idleTimeout = init.idleTimeout ?? CONN_DEFAULTS.idleTimeout;
    if (this.idleTimeout > 0) this.armIdleTimer(this.idleTimeout);
    if (init.head !== undefined && init.head.length > 0) this.handleSocketData(init.head);
    if (socket.destroyed) queueMicrotask(() => this.handleSocketClose());
    else socket.resume();
  }

  /** Settles when the TCP connection has closed, however that happened. Never rejects. */
  get closed(): Promise<CloseInfo> {
    // Made on first use: a promise per connection costs memory that most never need.
    this.closedPromise ??= this.closeInfo !== null ? Promise.resolve(this.closeInfo) : new Promise((resolve) => this.onClosed(resolve));
    return this.closedPromise;
  }

  /** @internal Calls `listener` once TCP has closed (at once if it has). */
  onClosed(listener: (info: CloseInfo) => void): void {
    if (this.closeInfo !== null) listener(this.closeInfo);
    else if (this.closeListeners === null) this.closeListeners = [listener]; // exact size: usually the only one
    else this.closeListeners.push(listener);
  }

  // ------------------------------------------------------------------ reading

  /**
   * Reads the next whole message. Throws `CloseError` when the peer has closed (after every
   * message received before its close frame has been read), `ProtocolError` when the peer broke
   * the protocol, `DeadlineExceededError` past the read deadline (the connection stays usable).
   */
  readMessage(options?: ReadOptions): Promise<Message> {
    return this.reader.readMessage(options);
  }

  /** Reads the next message and parses it as JSON (gorilla's `ReadJSON`). */
  async readJSON<T = unknown>(options?: ReadOptions): Promise<T> {
    const { data } = await this.readMessage(options);
    return JSON.parse(data.toString('utf8')) as T;
  }

  /**
   * Reads the next message as a stream of payload pieces, without holding it whole (gorilla's
   * `NextReader`). Calling a read method again abandons what is left of this message.
   */
  nextReader(options?: ReadOptions): Promise<MessageReader> {
    return this.reader.nextReader(options);
  }

  /** Iterates over messages until the peer closes normally (1000, 1001 or no status); other endings throw. */
  [Symbol.asyncIterator](): AsyncIterator<Message> {
    return new MessageIterator(this.reader);
  }

  /** Sets the read limit in bytes (gorilla's `SetReadLimit`); larger messages fail with 1009. */
  setReadLimit(limit: number): void {
    if (!(limit > 0)) throw new RangeError('the read limit must be positive');
    this.core.maxMessageSize = limit;
  }

  /**
   * Reads waiting at `deadline` (or started after it with nothing to read) fail with
   * `DeadlineExceededError`. Unlike gorilla, the connection stays usable: move the deadline and
   * read again. `null` clears it.
   */
  setReadDeadline(deadline: Date | number | null): void {
    this.reader.setDeadline(deadline === null ? null : +deadline);
  }

  /** Bytes received and not yet read by the application; reading pauses at `readBufferSize`. */
  get readBufferedAmount(): number {
    return this.reader.bufferedBytes;
  }

  // ------------------------------------------------------------------ writing

  /**
   * Writes a whole message as one frame. Resolves once the frame is queued for the socket and the
   * socket is below its high-water mark; until then, leave `data` unchanged. Concurrent calls are
   * safe: each message stays whole, in call order. Compressed when permessage-deflate is on and
   * the message reaches the threshold.
   */
  writeMessage(type: DataMessageType, data: MessageData, options?: WriteOptions): Promise<void> {
    return this.writer.writeMessage(type, data, options);
  }

  /** Writes `value` as a JSON text message (gorilla's `WriteJSON`). */
  writeJSON(value: unknown, options?: WriteOptions): Promise<void> {
    let text: string;
    try {
      text = JSON.stringify(value);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.writer.writeMessage(TextMessage, text, options);
  }

  /** Writes a message framed once for many connections (gorilla's `WritePreparedMessage`). */
  writePreparedMessage(message: PreparedMessage, options?: WriteOptions): Promise<void> {
    return this.writer.writePrepared(message, options);
  }

  /**
   * Starts a message to be written in pieces (gorilla's `NextWriter`). Other messages wait until
   * the writer is closed; control frames do not.
   */
  nextWriter(type: DataMessageType, options?: WriteOptions): Promise<MessageWriter> {
    return this.writer.nextWriter(type, options);
  }

  /**
   * Writes a control frame: `CloseMessage` (payload from `formatCloseMessage`), `PingMessage` or
   * `PongMessage`, at most 125 bytes. Control frames go out ahead of messages waiting their turn.
   * The third argument is a deadline (as in gorilla) or options with a deadline and a signal.
   */
  writeControl(type: ControlMessageType, data: MessageData = EMPTY, deadlineOrOptions: Date | number | ControlOptions = {}): Promise<void> {
    const options: ControlOptions =
      typeof deadlineOrOptions === 'number' || deadlineOrOptions instanceof Date ? { deadline: deadlineOrOptions } : deadlineOrOptions;
    try {
      const payload = toBuffer(data);
      if (this.socketClosed) throw this.reader.terminalError ?? new CloseSentError();
      if (type === CloseMessage) {
        if (!this.core.closeWithPayload(payload)) throw new CloseSentError();
        this.startClosing();
      } else if (type === PingMessage) this.core.ping(payload);
      else if (type === PongMessage) this.core.pong(payload);
      else throw new TypeError(`websocket: ${String(type)} is not a control message type`);
    } catch (err) {
      return Promise.reject(err);
    }
    const sent = this.writer.afterControl(options);
    if (options.deadline === undefined) return sent;
    return withDeadline(sent, +options.deadline, () => new DeadlineExceededError('control'));
  }

  /**
   * Sends a ping and resolves with the round-trip time in milliseconds when the matching pong
   * comes back. Pings are matched by payload (an 8-byte counter unless `data` is given).
   */
  ping(data?: MessageData, options: ReadOptions = {}): Promise<number> {
    let payload: Buffer;
    if (data === undefined) {
      payload = Buffer.allocUnsafe(8);
      payload.writeDoubleBE(++this.pingCounter);
    } else {
      payload = Buffer.from(toBuffer(data));
    }
    return new Promise<number>((resolve, reject) => {
      const key = payload.toString('latin1');
      const signal = options.signal;
      const forget = (): void => {
        const entries = this.pendingPings?.get(key);
        const i = entries?.indexOf(entry) ?? -1;
        if (i >= 0) entries!.splice(i, 1);
      };
      const onAbort = (): void => {
        forget();
        reject(signal!.reason);
      };
      const entry: PendingPing = {
        sentAt: performance.now(),
        resolve: (rtt) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(rtt);
        },
        reject,
      };
      if (signal?.aborted) return reject(signal.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      const pings = (this.pendingPings ??= new Map());
      const list = pings.get(key);
      if (list === undefined) pings.set(key, [entry]);
      else list.push(entry);
      this.writeControl(PingMessage, payload).catch((err: unknown) => {
        forget();
        reject(err);
      });
    });
  }

  /**
   * Writes waiting past `deadline` fail with `DeadlineExceededError` and, as in gorilla, the
   * connection is then closed: a peer that does not read cannot be written to. `null` clears it.
   */
  setWriteDeadline(deadline: Date | number | null): void {
    this.writer.setDeadline(deadline === null ? null : +deadline);
  }

  /** gorilla's `EnableWriteCompression`: whether the messages that follow are compressed (when negotiated). */
  enableWriteCompression(enable: boolean): void {
    this.writer.setCompression(enable);
  }

  /** gorilla's `SetCompressionLevel`: the zlib level (-1 to 9) for the messages that follow. */
  setCompressionLevel(level: number): void {
    this.writer.setCompressionLevel(level);
  }

  /** Bytes written and not yet handed to the operating system (as the browser's `bufferedAmount`). */
  get bufferedAmount(): number {
    return this.writer.bufferedAmount;
  }

  // ------------------------------------------------------------------ handlers

  /**
   * Replaces the ping handler (gorilla's `SetPingHandler`). The default answers with a pong
   * carrying the same data; a custom handler must do that itself if it wants one sent (with
   * `writeControl(PongMessage, data)`). `null` restores the default.
   */
  setPingHandler(handler: ((data: Buffer) => void) | null): void {
    this.pingHandler = handler;
    this.core.autoPong = handler === null;
  }

  /** Sets a handler for pongs (gorilla's `SetPongHandler`). The default does nothing. */
  setPongHandler(handler: ((data: Buffer) => void) | null): void {
    this.pongHandler = handler;
  }

  /**
   * Sets a handler for the peer's close frame (gorilla's `SetCloseHandler`). It runs as the frame
   * arrives. If it does not send a close frame itself (with `writeControl(CloseMessage, ...)`),
   * the connection answers by echoing the code, as gorilla's default handler does, so the closing
   * handshake always completes. `null` restores the default.
   */
  setCloseHandler(handler: ((code: number, text: string) => void) | null): void {
    this.closeHandler = handler;
  }

  // ------------------------------------------------------------------ closing

  /**
   * The closing handshake (§7.1.2): after the writes already made, sends a close frame, waits for
   * the peer's (at most `closeTimeout`), then closes TCP (the server first, §7.1.1). Resolves when
   * the TCP connection is closed. Calling it again returns the same promise.
   */
  close(code: number = CloseNormalClosure, reason = ''): Promise<void> {
    if (this.closePromise !== null) return this.closePromise;
    let payload: Buffer;
    try {
      payload = encodeClosePayload(code, reason);
    } catch (err) {
      return Promise.reject(err); // an invalid code or reason: nothing was sent
    }
    this.closePromise = this.closed.then(() => undefined);
    this.writer.refuse(closeSent);
    const send = (): void => {
      if (!this.socketClosed && !this.core.closeSent) this.core.closeWithPayload(payload);
      this.startClosing();
      this.writer.flush();
    };
    const earlier = this.writer.whenIdle();
    if (earlier === null) {
      send();
    } else {
      // Writes made before close() go first; a stuck one cannot hold the close back for ever.
      this.armCloseTimer();
      earlier.then(send, send);
    }
    return this.closePromise;
  }

  /** Drops the TCP connection at once, without a closing handshake. Idempotent. */
  closeNow(): void {
    this.reader.setError(() => abnormal('connection closed locally'));
    this.socket.destroy();
  }

  // ------------------------------------------------------------------ addresses

  /** The underlying socket: a `net.Socket` or `tls.TLSSocket` (gorilla's `NetConn`). */
  get underlyingSocket(): Duplex {
    return this.socket;
  }

  /**
   *  undefined {|This end of the TCP connection (gorilla's `LocalAddr`); undefined when the socket has
   * no address (closed, or not TCP).
   */
  get localAddress(): SocketAddress | undefined {
    return addressOf(this.socket, 'local');
  }

  /**
   *  undefined {|The peer's end of the TCP connection (gorilla's `RemoteAddr`). Behind a proxy, the
   * proxy's address.
   */
  get remoteAddress(): SocketAddress | undefined {
    return addressOf(this.socket, 'remote');
  }

  // ------------------------------------------------------------------ internals

  /** @internal ReadSideHost */
  get closing(): boolean {
    return this.closingStarted;
  }

  /** @internal ReadSideHost: the read side failed the connection; send the close frame, close TCP. */
  afterLocalFailure(): void {
    this.afterReceive();
  }

  /** @internal ReadSideHost: the application has read everything received before the failure. */
  onReadsExhausted(): void {
    if (this.failureCloseDue) this.sendFailureClose();
  }

  /** @internal WriteSideHost */
  onWriteDeadline(err: DeadlineExceededError): void {
    this.reader.setError(() => abnormal('write deadline exceeded', err));
    this.socket.destroy();
  }

  /** @internal ConnectionEvents */
  onMessageStart(opcode: DataOpcode, compressed: boolean): void {
    if (this.idleTimeout > 0) this.lastMessageAt = Date.now();
    this.reader.onMessageStart(opcode, compressed);
  }

  /** @internal ConnectionEvents */
  onMessageData(data: Buffer): void {
    this.reader.onMessageData(data);
  }

  /** @internal ConnectionEvents */
  onMessageEnd(): void {
    this.reader.onMessageEnd();
  }

  /** @internal ConnectionEvents */
  onError(err: ProtocolError): void {
    this.reader.setError(err);
  }

  /** @internal */
  handleSocketData(chunk: Buffer): void {
    if (this.keepaliveTimer !== null) this.lastReceiveAt = Date.now();
    this.core.receive(chunk);
    this.afterReceive();
  }

  /** After the state machine took input (or failed): send what it queued, follow its state. */
  private afterReceive(): void {
    if (this.core.failure !== null && !this.core.closeSent && !this.failureCloseDue) this.scheduleFailureClose();
    if (this.core.pendingOutputBytes > 0) this.writer.afterControl().catch(() => {});
    if (this.core.closeSent) this.startClosing();
    if (this.core.isClosed && !this.tcpClosing) this.closeTcp();
    if (this.reader.hungry) this.reader.service();
    else this.reader.updateFlow();
  }

  /** @internal ConnectionEvents */
  onPing(data: Buffer): void {
    if (this.pingHandler === null) return;
    try {
      this.pingHandler(data);
    } catch (err) {
      this.failFromHandler(err);
    }
  }

  /** @internal ConnectionEvents */
  onPong(data: Buffer): void {
    const key = data.toString('latin1');
    const entries = this.pendingPings?.get(key);
    const entry = entries?.shift();
    if (entries !== undefined && entries.length === 0) this.pendingPings!.delete(key);
    entry?.resolve(performance.now() - entry.sentAt);
    if (this.pongHandler === null) return;
    try {
      this.pongHandler(data);
    } catch (err) {
      this.failFromHandler(err);
    }
  }

  /** @internal ConnectionEvents: the peer's close frame. */
  onClose(code: number, reason: string): void {
    this.peerClose = { code, reason };
    this.reader.setError(() => new CloseError(code, reason), NORMAL_CLOSE_CODES.has(code));
    if (this.closeHandler === null) return;
    try {
      this.closeHandler(code, reason);
    } catch {
      // The closing handshake goes on regardless: the echo still answers the peer.
    }
  }

  /** A handler threw: that is the read error, and the connection closes with 1011. */
  private failFromHandler(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.reader.setError(error);
    this.core.close(CloseInternalServerErr, truncateCloseReason(error.message));
    this.startClosing();
  }

  /** @internal */
  onSocketError(err: Error): void {
    this.reader.setError(() => abnormal(err.message, err));
  }

  /** @internal */
  onSocketDrain(): void {
    this.writer.onDrain();
    // Reading may have paused while our output backed up (a peer that pings and does not read).
    this.reader.updateFlow();
  }

  /** @internal */
  handleSocketEnd(): void {
    // The peer closed its side of TCP. Without its close frame, that is an abnormal closure.
    this.reader.setError(() => abnormal('unexpected EOF'));
    if (!this.socket.writableEnded) {
      this.writer.flush();
      this.socket.end();
    }
    this.reader.service();
  }

  /** @internal */
  handleSocketClose(): void {
    if (this.socketClosed) return;
    this.socketClosed = true;
    this.reader.setError(() => abnormal('connection closed'));
    const readError = (): Error => this.reader.terminalError!;
    this.writer.finish(this.core.closeSent ? closeSent : readError);
    if (this.pendingPings !== null) {
      for (const entries of this.pendingPings.values()) for (const e of entries) e.reject(readError());
      this.pendingPings = null;
    }
    for (const timer of [this.keepaliveTimer, this.pongTimer, this.closeTimer, this.failureTimer, this.idleTimer]) if (timer !== null) clearTimeout(timer);
    this.keepaliveTimer = this.pongTimer = this.closeTimer = this.failureTimer = this.idleTimer = null;
    this.reader.finish(readError);
    const info: CloseInfo = {
      code: this.peerClose?.code ?? CloseAbnormalClosure,
      reason: this.peerClose?.reason ?? '',
      wasClean: this.peerClose !== null && this.core.closeSent,
    };
    this.closeInfo = info;
    const listeners = this.closeListeners;
    this.closeListeners = null;
    if (listeners !== null) for (const listener of listeners) listener(info);
  }

  /**
   * §7.1.7: the peer broke the protocol. The close frame goes out once the application has read
   * the messages that arrived before the bad frame (it may answer them, as a server reading
   * synchronously would have), or after `closeTimeout` if it does not read.
   */
  private scheduleFailureClose(): void {
    this.failureCloseDue = true;
    if (!this.reader.hasUndelivered) return this.sendFailureClose();
    this.failureTimer = setTimeout(() => this.sendFailureClose(), this.closeTimeout);
    this.failureTimer.unref();
  }

  private sendFailureClose(): void {
    this.failureCloseDue = false;
    if (this.failureTimer !== null) clearTimeout(this.failureTimer);
    this.failureTimer = null;
    if (this.socketClosed || !this.core.sendFailureClose()) return;
    this.writer.afterControl().catch(() => {});
    this.startClosing();
    if (this.core.isClosed && !this.tcpClosing) this.closeTcp();
  }

  /** Our close frame is queued: no more messages, and the peer gets `closeTimeout` to answer. */
  private startClosing(): void {
    if (this.closingStarted) return;
    this.closingStarted = true;
    // Writes still waiting for their turn can no longer go; those already queued in the socket do.
    this.writer.stopQueued(closeSent);
    this.writer.afterControl().catch(() => {});
    this.reader.updateFlow();
    if (!this.core.isClosed) this.armCloseTimer();
  }

  private armCloseTimer(): void {
    if (this.closeTimer !== null || this.socketClosed) return;
    this.closeTimer = setTimeout(() => {
      this.closeTimer = null;
      this.reader.setError(() => abnormal('close handshake timed out'));
      this.socket.destroy();
    }, this.closeTimeout);
  }

  /** Both close frames are exchanged, or the connection failed: close TCP. */
  private closeTcp(): void {
    this.tcpClosing = true;
    if (this.closeTimer !== null) clearTimeout(this.closeTimer);
    this.writer.flush();
    // §7.1.1: the server closes TCP first; a client waits for it, unless the connection failed.
    if (this.role === 'server' || this.core.failure !== null) {
      if (!this.socket.writableEnded) this.socket.end();
    }
    this.closeTimer = setTimeout(() => {
      this.closeTimer = null;
      this.socket.destroy();
    }, this.closeTimeout);
    this.closeTimer.unref();
  }

  /**
   * One timer per connection, re-armed only when it fires: a message resets the clock with a
   * timestamp, not with a timer call per message.
   */
  private armIdleTimer(delay: number): void {
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.closingStarted || this.socketClosed) return;
      const idleFor = Date.now() - this.lastMessageAt;
      if (idleFor < this.idleTimeout) return this.armIdleTimer(this.idleTimeout - idleFor);
      this.reader.setError(() => new IdleTimeoutError(), true);
      void this.close(CloseGoingAway, 'idle timeout').catch(() => this.closeNow());
      this.reader.service(); // a read waiting for the message that never came ends now
    }, delay);
    this.idleTimer.unref();
  }

  private keepaliveTick(): void {
    // core.closeSent: the pong timer may have just given up (same tick when pongTimeout equals pingInterval).
    if (this.closingStarted || this.socketClosed || this.pongTimer !== null || this.core.closeSent) return;
    const sentAt = Date.now();
    this.core.ping(Buffer.from('keepalive'));
    this.writer.afterControl().catch(() => {});
    this.pongTimer = setTimeout(() => {
      this.pongTimer = null;
      if (this.lastReceiveAt >= sentAt) return;
      // Nothing came back: the peer or the path is dead. Say why (best effort) and drop it.
      this.reader.setError(() => new KeepaliveTimeoutError());
      if (!this.core.closeSent) {
        this.core.close(CloseInternalServerErr, 'keepalive timeout');
        this.writer.flush();
      }
      this.socket.destroy();
    }, this.pongTimeout);
    this.pongTimer.unref();
  }
}

/** Builds the compressor and decompressor for a negotiated permessage-deflate, each in its direction. */
function setUpDeflate(init: ConnInit): { decompressor: Decompressor | null; compression: WriteCompression | null } {
  const deflate = init.deflate;
  if (deflate === undefined || deflate === null) return { decompressor: null, compression: null };
  const p = deflate.params;
  const server = init.role === 'server';
  const sendBits = server ? p.serverMaxWindowBits : p.clientMaxWindowBits;
  const sendNoContext = server ? p.serverNoContextTakeover : p.clientNoContextTakeover;
  const level = deflate.options.level ?? DEFLATE_DEFAULTS.level;
  const memLevel = deflate.options.memLevel ?? DEFLATE_DEFAULTS.memLevel;
  return {
    decompressor: new Decompressor(server ? p.clientMaxWindowBits : p.serverMaxWindowBits, server ? p.clientNoContextTakeover : p.serverNoContextTakeover),
    compression: {
      compressor: new Compressor({ windowBits: sendBits, noContextTakeover: sendNoContext, level, memLevel }),
      threshold: deflate.options.threshold ?? DEFLATE_DEFAULTS.threshold,
      prepared: { level, windowBits: sendBits, memLevel, shareable: sendNoContext },
    },
  };
}

const closeSent = (): Error => new CloseSentError();

/** `for await` over a connection: a small object, not a closure, as it lives as long as the loop. */
class MessageIterator implements AsyncIterator<Message> {
  private readonly reader: ReadSide;
  constructor(reader: ReadSide) {
    this.reader = reader;
  }
  next(): Promise<IteratorResult<Message>> {
    return this.reader.iterate();
  }
}

/** Socket listeners shared by every connection: each finds its connection on the socket. */
const kConn = Symbol('rfc6455.conn');
type ConnSocket = Duplex & { [kConn]?: Conn };

function onSocketData(this: ConnSocket, chunk: Buffer): void {
  this[kConn]!.handleSocketData(chunk);
}

function onSocketEnd(this: ConnSocket): void {
  this[kConn]!.handleSocketEnd();
}

function onSocketError(this: ConnSocket, err: Error): void {
  this[kConn]!.onSocketError(err);
}

function onSocketClose(this: ConnSocket): void {
  this[kConn]!.handleSocketClose();
}

function onSocketDrain(this: ConnSocket): void {
  this[kConn]!.onSocketDrain();
}

/** A close error for a connection that ended without a closing handshake (1006). */
function abnormal(reason: string, cause?: unknown): CloseError {
  const err = new CloseError(CloseAbnormalClosure, reason);
  if (cause !== undefined) (err as { cause?: unknown }).cause = cause;
  return err;
}

function addressOf(socket: Duplex, which: 'local' | 'remote'): SocketAddress | undefined {
  const s = socket as Partial<Record<'localAddress' | 'localPort' | 'localFamily' | 'remoteAddress' | 'remotePort' | 'remoteFamily', unknown>>;
  const address = s[`${which}Address`];
  const port = s[`${which}Port`];
  if (typeof address !== 'string' || typeof port !== 'number') return undefined;
  const family = s[`${which}Family`];
  return { address, port, family: typeof family === 'string' ? family : address.includes(':') ? 'IPv6' : 'IPv4' };
}

function withDeadline<T>(promise: Promise<T>, deadline: number, makeError: () => Error): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(makeError()), Math.max(0, deadline - Date.now()));
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
