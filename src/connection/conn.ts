/**
 * `Conn`: one WebSocket connection, for servers and clients alike, behind the promise-based API
 * modeled on gorilla/websocket. It is a facade: the {@link Driver} runs the connection over its
 * transport, the core (`protocol/`) decides its lifecycle, the inbox and the writer move messages.
 */
import { Buffer } from 'node:buffer';
import type { Duplex } from 'node:stream';
import { type CloseInfo, abnormalClosure } from '../protocol/ending.js';
import { CloseNormalClosure, encodeClosePayload } from '../protocol/close.js';
import type { Role } from '../protocol/core.js';
import type { DeflateParams } from '../protocol/deflate-negotiation.js';
import { type ConnInit, driverFor } from './conn-init.js';
import { type ControlOptions, beginClose, ping, writeControl } from './conn-control.js';
import type { Driver } from './driver.js';
import { type SocketAddress, type TransportKind, addressOf } from './transport-info.js';
import type { ControlMessageType, DataMessageType, Message, MessageData } from './message.js';
import { TextMessage } from './message.js';
import type { MessageReader, ReadOptions } from './message-reader.js';
import type { MessageWriter } from './message-writer.js';
import type { PreparedMessage } from './prepared-message.js';
import type { MessageHandler } from './waiting-reads.js';
import type { WriteOptions } from './writer.js';

export type { ConnLimits } from '../options.js';
export type { WriteOptions } from './writer.js';
export type { CloseInfo } from '../protocol/ending.js';
export type { SocketAddress, TransportKind } from './transport-info.js';
export { CONN_DEFAULTS } from '../options.js';
export type { ConnInit } from './conn-init.js';
export type { ControlOptions } from './conn-control.js';

const EMPTY = Buffer.alloc(0);

/**
 * A WebSocket connection. Servers get one from `Upgrader` or `serve()`, clients from `Dialer`.
 *
 * Two ways to read: `for await (const message of conn)` ends quietly however the connection ends
 * (how it ended is then on {@link Conn.closeInfo}); `readMessage()` keeps gorilla's contract and
 * throws `CloseError` at the end, for code that wants to tell endings apart as they happen.
 *
 * @example
 * ```ts
 * for await (const { type, data } of conn) {
 *   await conn.writeMessage(type, data); // echo
 * }
 * console.log('closed with', conn.closeInfo?.code);
 * ```
 */
export class Conn implements AsyncIterable<Message> {
  /** Which side of the connection this is: `'server'` (from `Upgrader` or `serve()`) or `'client'` (from `Dialer`). */
  readonly role: Role;
  /** The negotiated subprotocol, or '' when none. */
  readonly subprotocol: string;
  /** The permessage-deflate agreement, or null when messages are not compressed. */
  readonly compression: DeflateParams | null;
  /** The transport this connection runs over: `'http/1.1'` or `'h2'` (RFC 8441). */
  readonly transport: TransportKind;
  private readonly driver: Driver;
  private closedPromise: Promise<CloseInfo> | null = null;
  private closePromise: Promise<void> | null = null;

  /** @internal Use `Upgrader`, `serve()` or `Dialer` to get a connection. */
  constructor(init: ConnInit) {
    this.role = init.role;
    this.subprotocol = init.subprotocol ?? '';
    this.compression = init.deflate?.params ?? null;
    this.transport = init.transport ?? 'http/1.1';
    this.driver = driverFor(init);
    this.driver.owner = this;
    this.driver.start(init.head);
  }

  /** Settles when the transport has closed, however that happened, with how it ended. Never rejects. */
  get closed(): Promise<CloseInfo> {
    // Made on first use: a promise per connection costs memory that most never need.
    this.closedPromise ??= new Promise((resolve) => this.driver.onClosed(resolve));
    return this.closedPromise;
  }

  /** How the connection ended (code, reason, `wasClean`, the error if any), once it has; null while it lives. */
  get closeInfo(): CloseInfo | null {
    return this.driver.lifecycle.closeInfo;
  }

  /** Where the connection is in its life: `'open'`, `'closing'` (a close frame was sent or received, or it failed) or `'closed'`. */
  get state(): 'open' | 'closing' | 'closed' {
    return this.driver.lifecycle.state;
  }

  /**
   * @internal Calls `listener` with how it ended and this connection once the transport has closed
   * (at once if it has): one function can watch many connections, with no closure for each.
   */
  onClosed(listener: (info: CloseInfo, conn: Conn) => void): void {
    this.driver.onClosed(listener as (info: CloseInfo, owner: object) => void);
  }

  // ------------------------------------------------------------------ reading

  /**
   * Reads the next whole message (gorilla's `ReadMessage`). At the end it throws: `CloseError`
   * when the peer closed (after every message received before its close frame has been read) or
   * the connection dropped (1006), `ProtocolError` when the peer broke the protocol. Past the read
   * deadline it throws `DeadlineExceededError` and the connection stays usable.
   */
  readMessage(options?: ReadOptions): Promise<Message> {
    return this.driver.inbox.read('message', options);
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
    return this.driver.inbox.read('reader', options);
  }

  /**
   * Iterates over messages until the connection ends, however it ends (a close frame, a dropped
   * connection, a protocol failure already answered): an ending is not an error. How it ended is
   * on {@link closeInfo} and {@link closed}. Only an error of the application's own (a ping or
   * pong handler that threw) is thrown.
   */
  [Symbol.asyncIterator](): AsyncIterator<Message> {
    return this.driver.inbox.iterator();
  }

  /**
   * Calls `handler` with each message (and this connection) as it arrives, until the connection
   * ends: `for await` without a promise per message, for servers that handle many small
   * messages. The promise settles as `for await` ends: quietly however the connection ends (how
   * is on {@link closeInfo}); it rejects with what the handler throws or its promise rejects with,
   * with the signal's reason, or with `DeadlineExceededError` (the connection stays usable, as
   * with `readMessage()`). When the handler returns a promise, the next message waits until it settles
   * (and input pauses at `readBufferSize`), so an `async` handler keeps order and backpressure;
   * returning `writeMessage()`'s promise waits only when the write has to. Other reads are refused
   * with `ReadConflictError` meanwhile; messages not yet handed over stay for the next read.
   *
   * @example
   * ```ts
   * await conn.forEachMessage(({ type, data }) => conn.writeMessage(type, data)); // echo
   * // or one function for every connection, no closure for each:
   * const echo: MessageHandler = ({ type, data }, conn) => conn.writeMessage(type, data);
   * await conn.forEachMessage(echo);
   * ```
   */
  forEachMessage(handler: MessageHandler, options?: ReadOptions): Promise<void> {
    return this.driver.inbox.consume(handler, this, options?.signal);
  }

  /** Sets the read limit in bytes (gorilla's `SetReadLimit`); larger messages fail with 1009. */
  setReadLimit(limit: number): void {
    if (typeof limit !== 'number' || !(limit > 0)) throw new RangeError('websocket: the read limit must be a positive number of bytes');
    this.driver.core.maxMessageSize = limit;
  }

  /**
   * Reads waiting at `deadline` (or started after it with nothing to read) fail with
   * `DeadlineExceededError`. Unlike gorilla, the connection stays usable: move the deadline and
   * read again. `null` clears it; anything but a `Date`, a number or null is a `TypeError`.
   */
  setReadDeadline(deadline: Date | number | null): void {
    this.driver.inbox.setDeadline(deadline);
  }

  /** Bytes received and not yet read by the application; reading pauses at `readBufferSize`. */
  get readBufferedAmount(): number {
    return this.driver.inbox.bufferedBytes;
  }

  // ------------------------------------------------------------------ writing

  /**
   * Writes a whole message as one frame. Resolves once the frame is queued for the transport and
   * the transport is below its high-water mark; until then, leave `data` unchanged. Concurrent
   * calls are safe: each message stays whole, in call order. Compressed when permessage-deflate
   * is on and the message reaches the threshold. After the connection closed, it rejects with an
   * error saying why (our close, the peer's close code, the failure's code and reason).
   */
  writeMessage(type: DataMessageType, data: MessageData, options?: WriteOptions): Promise<void> {
    return this.driver.writer.writeMessage(type, data, options);
  }

  /** Writes `value` as a JSON text message (gorilla's `WriteJSON`). */
  writeJSON(value: unknown, options?: WriteOptions): Promise<void> {
    let text: string;
    try {
      text = JSON.stringify(value);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.driver.writer.writeMessage(TextMessage, text, options);
  }

  /** Writes a message framed once for many connections (gorilla's `WritePreparedMessage`). */
  writePreparedMessage(message: PreparedMessage, options?: WriteOptions): Promise<void> {
    return this.driver.writer.writePrepared(message, options);
  }

  /**
   * Queues a prepared message now, without a promise (a broadcast's fast path): true when queued,
   * false, queueing nothing, when it has to go through `writePreparedMessage` (the connection is
   * closing, another write holds or awaits the turn, or it compresses with its own context).
   * Never throws and never waits: watch `bufferedAmount` to leave out a reader that falls behind.
   */
  queuePreparedMessage(message: PreparedMessage): boolean {
    return this.driver.writer.queuePrepared(message);
  }

  /**
   * Starts a message to be written in pieces (gorilla's `NextWriter`). Other messages wait until
   * the writer is closed; control frames do not.
   */
  nextWriter(type: DataMessageType, options?: WriteOptions): Promise<MessageWriter> {
    return this.driver.writer.nextWriter(type, options);
  }

  /**
   * Writes a control frame: `CloseMessage` (payload from `formatCloseMessage`), `PingMessage` or
   * `PongMessage`, at most 125 bytes. Control frames go out ahead of messages waiting their turn.
   * The third argument is a deadline (as in gorilla) or options with a deadline and a signal.
   */
  writeControl(type: ControlMessageType, data: MessageData = EMPTY, deadlineOrOptions: Date | number | ControlOptions = {}): Promise<void> {
    return writeControl(this.driver, type, data, deadlineOrOptions);
  }

  /**
   * Sends a ping and resolves with the round-trip time in milliseconds when the matching pong
   * comes back. Pings are matched by payload (an 8-byte counter unless `data` is given).
   */
  ping(data?: MessageData, options: ReadOptions = {}): Promise<number> {
    return ping(this.driver, data, options);
  }

  /**
   * Writes waiting past `deadline` fail with `DeadlineExceededError` and, as in gorilla, the
   * connection is then closed: a peer that does not read cannot be written to. `null` clears it;
   * anything but a `Date`, a number or null is a `TypeError`.
   */
  setWriteDeadline(deadline: Date | number | null): void {
    this.driver.writer.setDeadline(deadline);
  }

  /** gorilla's `EnableWriteCompression`: whether the messages that follow are compressed (when negotiated). */
  enableWriteCompression(enable: boolean): void {
    this.driver.writer.setCompression(enable);
  }

  /** gorilla's `SetCompressionLevel`: the zlib level (-1 to 9) for the messages that follow. */
  setCompressionLevel(level: number): void {
    this.driver.writer.setCompressionLevel(level);
  }

  /** Bytes written and not yet handed to the operating system (as the browser's `bufferedAmount`). */
  get bufferedAmount(): number {
    return this.driver.writer.bufferedAmount;
  }

  // ------------------------------------------------------------------ handlers

  /**
   * Replaces the ping handler (gorilla's `SetPingHandler`). The default answers with a pong
   * carrying the same data; a custom handler must do that itself if it wants one sent (with
   * `writeControl(PongMessage, data)`). `null` restores the default.
   */
  setPingHandler(handler: ((data: Buffer) => void) | null): void {
    this.driver.pingHandler = handler;
    this.driver.core.autoPong = handler === null;
  }

  /** Sets a handler for pongs (gorilla's `SetPongHandler`). The default does nothing. */
  setPongHandler(handler: ((data: Buffer) => void) | null): void {
    this.driver.pongHandler = handler;
  }

  /**
   * Sets a handler for the peer's close frame (gorilla's `SetCloseHandler`). It runs as the frame
   * arrives. If it does not send a close frame itself (with `writeControl(CloseMessage, ...)`),
   * the connection answers by echoing the code, as gorilla's default handler does, so the closing
   * handshake always completes. `null` restores the default.
   */
  setCloseHandler(handler: ((code: number, text: string) => void) | null): void {
    this.driver.closeHandler = handler;
  }

  // ------------------------------------------------------------------ closing

  /**
   * The closing handshake (§7.1.2): after the writes already made, sends a close frame, waits for
   * the peer's (at most `closeTimeout`), then closes the transport (the server first, §7.1.1).
   * Resolves when the transport is closed. Calling it again returns the same promise.
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
    beginClose(this.driver, payload);
    return this.closePromise;
  }

  /** Drops the transport at once, without a closing handshake. Idempotent. */
  closeNow(): void {
    this.driver.lifecycle.abort(() => abnormalClosure('connection closed locally'), true);
  }

  // ------------------------------------------------------------------ the transport

  /** The underlying transport: a `net.Socket`, a `tls.TLSSocket` or an HTTP/2 stream (gorilla's `NetConn`). */
  get underlyingSocket(): Duplex {
    return this.driver.transport;
  }

  /** This end of the TCP connection (gorilla's `LocalAddr`); undefined when the transport has no address (closed, or not TCP). */
  get localAddress(): SocketAddress | undefined {
    return addressOf(this.driver.transport, 'local');
  }

  /** The peer's end of the TCP connection (gorilla's `RemoteAddr`); behind a proxy, the proxy's address. */
  get remoteAddress(): SocketAddress | undefined {
    return addressOf(this.driver.transport, 'remote');
  }
}
