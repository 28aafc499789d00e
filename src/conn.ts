/**
 * `Conn`: one WebSocket connection over one socket, for both servers and clients. It binds the
 * sans-I/O state machine (`protocol/connection.ts`) to a Node stream and adds what needs I/O:
 * buffering and backpressure in both directions, deadlines, the closing handshake's timeouts,
 * keepalive pings, and the promise-based API modeled on gorilla/websocket.
 */
import type { Duplex } from 'node:stream';
import {
  CloseAbnormalClosure,
  CloseGoingAway,
  CloseInternalServerErr,
  CloseNoStatusReceived,
  CloseNormalClosure,
  truncateCloseReason,
} from './protocol/close.js';
import { Connection, CloseSentError, type DataOpcode, type Role } from './protocol/connection.js';
import { CloseError, type ProtocolError, WebSocketError } from './protocol/errors.js';
import { Opcode } from './protocol/frame.js';
import { isValidUtf8 } from './protocol/utf8.js';
import { DeadlineExceededError, KeepaliveTimeoutError, ReaderSupersededError } from './errors.js';
import { scheduleFlush, type Flushable } from './flush-scheduler.js';
import { IncomingMessage } from './incoming.js';
import {
  CloseMessage,
  type ControlMessageType,
  type DataMessageType,
  type Message,
  type MessageData,
  PingMessage,
  PongMessage,
  TextMessage,
  isDataMessageType,
  toBuffer,
} from './message.js';
import { MessageReader, type PieceSource, type ReadOptions } from './message-reader.js';
import { type FragmentSink, MessageWriter } from './message-writer.js';
import type { PreparedMessage } from './prepared-message.js';
import { TurnQueue } from './turn-queue.js';
import type { UpgradeRequest } from './upgrader.js';

/** Limits and timings of a connection; each has a default. */
export interface ConnLimits {
  /** Largest message accepted, in bytes; larger ones fail the connection with 1009. Default 16 MiB. */
  readLimit?: number;
  /** Most frames one message may span; more fail with 1009. Default 131,072. */
  maxFragments?: number;
  /**
   * Bytes of received messages held for the application before the connection stops reading
   * from the socket (TCP backpressure on the peer). Reading resumes as the application consumes.
   * Default 1 MiB.
   */
  readBufferSize?: number;
  /**
   * Frames up to this size are coalesced into batches of at most this many bytes, written with one
   * socket write per batch; larger messages are written straight from the caller's buffer.
   * Default 16 KiB.
   */
  writeBufferSize?: number;
  /**
   * Writes wait (for the socket's `drain`) while more than this many bytes are queued in the
   * socket. Default 64 KiB.
   */
  writeHighWaterMark?: number;
  /** How long `close()` waits for the peer's close frame, then for the TCP close. Default 5 s. */
  closeTimeout?: number;
  /** Send a ping after this many ms; 0 turns keepalive off (the default). */
  pingInterval?: number;
  /** With keepalive on: how long to wait for any frame after a ping before giving up. Default: `pingInterval`. */
  pongTimeout?: number;
}

export const CONN_DEFAULTS = {
  readLimit: 16 * 1024 * 1024,
  maxFragments: 128 * 1024,
  readBufferSize: 1024 * 1024,
  writeBufferSize: 16 * 1024,
  writeHighWaterMark: 64 * 1024,
  closeTimeout: 5000,
  pingInterval: 0,
} as const;

/** @internal How the server or client hands a socket to a new connection. */
export interface ConnInit extends ConnLimits {
  role: Role;
  socket: Duplex;
  /** Bytes read past the handshake: the first WebSocket bytes. */
  head?: Buffer;
  subprotocol?: string;
  /** Server side: the request that opened the connection. */
  request?: UpgradeRequest;
}

export interface WriteOptions {
  /** Gives up waiting for the turn or for the socket to drain; the rejection is the signal's reason. */
  signal?: AbortSignal;
}

export interface ControlOptions extends WriteOptions {
  /** Fail with `DeadlineExceededError` if the frame cannot be handed to the socket by then. */
  deadline?: Date | number;
}

/** How a connection ended. */
export interface CloseInfo {
  /** The code of the peer's close frame; 1005 if it had none, 1006 if none came. */
  code: number;
  reason: string;
  /** Both close frames were exchanged before TCP closed. */
  wasClean: boolean;
}

interface ReadWaiter {
  kind: 'message' | 'reader';
  resolve(value: Message | MessageReader): void;
  reject(err: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

interface PieceWaiter {
  message: IncomingMessage;
  resolve(piece: Buffer | null): void;
  reject(err: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

interface PendingPing {
  sentAt: number;
  resolve(rtt: number): void;
  reject(err: unknown): void;
}

const RESOLVED = Promise.resolve();

/**
 * A WebSocket connection. Servers get one from `Upgrader`, clients from `Dialer`.
 *
 * @example
 * ```ts
 * for await (const { type, data } of conn) {
 *   await conn.writeMessage(type, data); // echo
 * }
 * ```
 */
export class Conn implements AsyncIterable<Message>, Flushable, PieceSource, FragmentSink {
  readonly role: Role;
  /** The negotiated subprotocol, or '' when none. */
  readonly subprotocol: string;
  /** Server side: the upgrade request that opened this connection. */
  readonly request: UpgradeRequest | undefined;
  /** @internal */
  flushScheduled = false;

  private readonly socket: Duplex;
  private readonly core: Connection;
  private readonly readBufferSize: number;
  private readonly writeBufferSize: number;
  private readonly writeHighWaterMark: number;
  private readonly closeTimeout: number;

  // Reading.
  private readonly queue: IncomingMessage[] = [];
  private queueHead = 0;
  private receiving: IncomingMessage | null = null;
  /** The message an open `MessageReader` is streaming, once taken off the queue. */
  private streaming: IncomingMessage | null = null;
  private readWaiters: ReadWaiter[] = [];
  private pieceWaiter: PieceWaiter | null = null;
  private buffered = 0;
  private paused = false;
  /** What reads throw once the queue is empty: set when the peer closed or the connection failed. */
  private readError: Error | null = null;
  private readDeadline: number | null = null;
  private readTimer: NodeJS.Timeout | null = null;

  // Writing.
  private readonly turns = new TurnQueue();
  private writeError: Error | null = null;
  private writtenWaiters: Array<{ resolve(): void; reject(err: unknown): void }> = [];
  private drainWaiters: Array<{ resolve(): void; reject(err: unknown): void }> = [];
  private writeDeadline: number | null = null;
  private writeTimer: NodeJS.Timeout | null = null;
  private waitingWrites = 0;

  // Handlers and pings.
  private pingHandler: ((data: Buffer) => void) | null = null;
  private pongHandler: ((data: Buffer) => void) | null = null;
  private closeHandler: ((code: number, text: string) => void) | null = null;
  private pendingPings = new Map<string, PendingPing[]>();
  private pingCounter = 0;
  private keepaliveTimer: NodeJS.Timeout | null = null;
  private pongTimer: NodeJS.Timeout | null = null;
  private readonly pongTimeout: number;
  private lastReceiveAt = 0;

  // Closing.
  private closing = false;
  private tcpClosing = false;
  private closeTimer: NodeJS.Timeout | null = null;
  private socketClosed = false;
  private peerClose: { code: number; reason: string } | null = null;
  private closePromise: Promise<void> | null = null;
  private resolveClosed!: (info: CloseInfo) => void;
  /** Settles when the TCP connection has closed, however that happened. Never rejects. */
  readonly closed: Promise<CloseInfo>;

  /** @internal Use `Upgrader` or `Dialer` to get a connection. */
  constructor(init: ConnInit) {
    this.role = init.role;
    this.subprotocol = init.subprotocol ?? '';
    this.request = init.request;
    this.socket = init.socket;
    this.readBufferSize = init.readBufferSize ?? CONN_DEFAULTS.readBufferSize;
    this.writeBufferSize = init.writeBufferSize ?? CONN_DEFAULTS.writeBufferSize;
    this.writeHighWaterMark = init.writeHighWaterMark ?? CONN_DEFAULTS.writeHighWaterMark;
    this.closeTimeout = init.closeTimeout ?? CONN_DEFAULTS.closeTimeout;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.core = new Connection(
      {
        role: init.role,
        maxMessageSize: init.readLimit ?? CONN_DEFAULTS.readLimit,
        maxFragments: init.maxFragments ?? CONN_DEFAULTS.maxFragments,
        writeBufferSize: this.writeBufferSize,
      },
      {
        onMessageStart: (opcode, compressed) => this.onMessageStart(opcode, compressed),
        onMessageData: (data) => this.onMessageData(data),
        onMessageEnd: () => this.onMessageEnd(),
        onPing: (data) => this.onPing(data),
        onPong: (data) => this.onPong(data),
        onClose: (code, reason) => this.onPeerClose(code, reason),
        onError: (err) => this.onProtocolError(err),
      },
    );

    const socket = this.socket;
    socket.on('data', (chunk: Buffer) => this.onSocketData(chunk));
    socket.on('end', () => this.onSocketEnd());
    socket.on('error', (err: Error) => this.onSocketError(err));
    socket.on('close', () => this.onSocketClose());
    socket.on('drain', () => this.onDrain());
    if ('setNoDelay' in socket && typeof socket.setNoDelay === 'function') socket.setNoDelay(true);
    if ('setTimeout' in socket && typeof socket.setTimeout === 'function') socket.setTimeout(0);

    const pingInterval = init.pingInterval ?? CONN_DEFAULTS.pingInterval;
    this.pongTimeout = init.pongTimeout ?? pingInterval;
    if (pingInterval > 0) {
      this.keepaliveTimer = setInterval(() => this.keepaliveTick(), pingInterval);
      this.keepaliveTimer.unref();
    }
    if (init.head !== undefined && init.head.length > 0) this.onSocketData(init.head);
    if (socket.destroyed) queueMicrotask(() => this.onSocketClose());
    else socket.resume();
  }

  // ------------------------------------------------------------------ public: reading

  /**
   * Reads the next whole message. Throws `CloseError` when the peer has closed (after every
   * message received before its close frame has been read), `ProtocolError` when the peer broke
   * the protocol, `DeadlineExceededError` past the read deadline (the connection stays usable).
   */
  readMessage(options?: ReadOptions): Promise<Message> {
    if (this.readWaiters.length === 0 && this.pieceWaiter === null) {
      this.abandonStreaming();
      const head = this.queueHead < this.queue.length ? this.queue[this.queueHead]! : null;
      if (head !== null && head.complete) return Promise.resolve(this.dequeueWhole());
    }
    return this.waitForRead('message', options) as Promise<Message>;
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
    return this.waitForRead('reader', options) as Promise<MessageReader>;
  }

  /**
   * Iterates over messages until the peer closes normally (1000, 1001 or no status); other
   * endings throw, as `readMessage` does.
   */
  [Symbol.asyncIterator](): AsyncIterator<Message> {
    return {
      next: () =>
        this.readMessage().then(
          (value): IteratorResult<Message> => ({ value, done: false }),
          (err: unknown): IteratorResult<Message> => {
            if (err instanceof CloseError && NORMAL_CLOSE_CODES.has(err.code)) return { value: undefined, done: true };
            throw err;
          },
        ),
    };
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
    this.readDeadline = deadline === null ? null : +deadline;
    this.armReadTimer();
  }

  // ------------------------------------------------------------------ public: writing

  /**
   * Writes a whole message as one frame. Resolves once the frame is queued for the socket (small
   * messages are copied at once; larger ones are written from your buffer, and the promise waits
   * until they have been) and the socket is below its high-water mark. Concurrent calls are safe:
   * each message stays whole, in call order.
   */
  writeMessage(type: DataMessageType, data: MessageData, options?: WriteOptions): Promise<void> {
    if (!isDataMessageType(type)) return Promise.reject(new TypeError(`websocket: ${String(type)} is not a data message type`));
    let payload: Buffer;
    try {
      payload = toBuffer(data);
    } catch (err) {
      return Promise.reject(err);
    }
    if (type === TextMessage && typeof data !== 'string' && !isValidUtf8(payload)) {
      return Promise.reject(new TypeError('websocket: text message is not valid UTF-8'));
    }
    if (this.writeError !== null) return Promise.reject(this.writeError);
    if (this.turns.idle) return this.sendMessageNow(type, payload, options);
    return this.withTurn(options, () => this.sendMessageNow(type, payload, options));
  }

  /** Writes `value` as a JSON text message (gorilla's `WriteJSON`). */
  writeJSON(value: unknown, options?: WriteOptions): Promise<void> {
    let text: string;
    try {
      text = JSON.stringify(value);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.writeMessage(TextMessage, text, options);
  }

  /** Writes a message framed once for many connections (gorilla's `WritePreparedMessage`). */
  writePreparedMessage(message: PreparedMessage, options?: WriteOptions): Promise<void> {
    if (this.writeError !== null) return Promise.reject(this.writeError);
    const send = (): Promise<void> => {
      if (this.role === 'server') {
        try {
          this.core.sendEncodedFrame(message.serverFrame());
        } catch (err) {
          return Promise.reject(err);
        }
        return this.afterAppend(false, options);
      }
      return this.sendMessageNow(message.type, message.data, options);
    };
    if (this.turns.idle) return send();
    return this.withTurn(options, send);
  }

  /**
   * Starts a message to be written in pieces (gorilla's `NextWriter`). Other messages wait until
   * the writer is closed; control frames do not.
   */
  async nextWriter(type: DataMessageType, options?: WriteOptions): Promise<MessageWriter> {
    if (!isDataMessageType(type)) throw new TypeError(`websocket: ${String(type)} is not a data message type`);
    if (this.writeError !== null) throw this.writeError;
    await this.trackWrite(this.turns.acquire(options?.signal));
    if (this.writeError !== null) {
      this.turns.release();
      throw this.writeError;
    }
    return new MessageWriter(type, this);
  }

  /**
   * Writes a control frame: `CloseMessage` (payload from `formatCloseMessage`), `PingMessage` or
   * `PongMessage`, at most 125 bytes. Control frames go out ahead of messages waiting their turn.
   * The third argument is a deadline (as in gorilla) or options with a deadline and a signal.
   */
  writeControl(type: ControlMessageType, data: MessageData = EMPTY, deadlineOrOptions: Date | number | ControlOptions = {}): Promise<void> {
    const options: ControlOptions =
      typeof deadlineOrOptions === 'number' || deadlineOrOptions instanceof Date ? { deadline: deadlineOrOptions } : deadlineOrOptions;
    let payload: Buffer;
    try {
      payload = toBuffer(data);
      if (this.writeError !== null && !(this.writeError instanceof CloseSentError)) throw this.writeError;
      if (type === CloseMessage) {
        if (!this.core.closeWithPayload(payload)) throw new CloseSentError();
        this.startClosing();
      } else if (type === PingMessage) this.core.ping(payload);
      else if (type === PongMessage) this.core.pong(payload);
      else throw new TypeError(`websocket: ${String(type)} is not a control message type`);
    } catch (err) {
      return Promise.reject(err);
    }
    scheduleFlush(this);
    if (options.deadline === undefined) return this.afterAppend(false, options);
    const deadline = +options.deadline;
    if (Date.now() >= deadline && this.overHighWaterMark()) return Promise.reject(new DeadlineExceededError('control'));
    return withTimeout(this.afterAppend(false, options), deadline, () => new DeadlineExceededError('control'));
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
      const entry: PendingPing = { sentAt: performance.now(), resolve, reject };
      const list = this.pendingPings.get(key);
      if (list === undefined) this.pendingPings.set(key, [entry]);
      else list.push(entry);
      const signal = options.signal;
      if (signal !== undefined) {
        const onAbort = (): void => {
          const entries = this.pendingPings.get(key);
          const i = entries?.indexOf(entry) ?? -1;
          if (i >= 0) entries!.splice(i, 1);
          reject(signal.reason);
        };
        if (signal.aborted) return onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        entry.resolve = (rtt) => {
          signal.removeEventListener('abort', onAbort);
          resolve(rtt);
        };
      }
      this.writeControl(PingMessage, payload).catch((err: unknown) => {
        const entries = this.pendingPings.get(key);
        const i = entries?.indexOf(entry) ?? -1;
        if (i >= 0) entries!.splice(i, 1);
        reject(err);
      });
    });
  }

  /**
   * Writes waiting past `deadline` fail with `DeadlineExceededError` and, as in gorilla, the
   * connection is then closed: a peer that does not read cannot be written to. `null` clears it.
   */
  setWriteDeadline(deadline: Date | number | null): void {
    this.writeDeadline = deadline === null ? null : +deadline;
    this.armWriteTimer();
  }

  /** Bytes received and not yet read by the application; reading pauses at `readBufferSize`. */
  get readBufferedAmount(): number {
    return this.buffered;
  }

  /** Bytes written and not yet handed to the operating system (as the browser's `bufferedAmount`). */
  get bufferedAmount(): number {
    return this.core.pendingOutputBytes + this.socket.writableLength;
  }

  // ------------------------------------------------------------------ public: handlers

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

  // ------------------------------------------------------------------ public: closing

  /**
   * The closing handshake (§7.1.2): sends a close frame, waits for the peer's (at most
   * `closeTimeout`), then closes TCP (the server first, §7.1.1). Resolves when the TCP connection
   * is closed. Calling it again returns the same promise.
   */
  close(code: number = CloseNormalClosure, reason = ''): Promise<void> {
    if (this.closePromise !== null) return this.closePromise;
    try {
      if (!this.socketClosed && !this.core.closeSent) this.core.close(code, reason);
    } catch (err) {
      return Promise.reject(err); // an invalid code or reason: nothing was sent
    }
    this.turns.failAll(new CloseSentError());
    this.startClosing();
    this.flush();
    this.closePromise = this.closed.then(() => undefined);
    return this.closePromise;
  }

  /** Drops the TCP connection at once, without a closing handshake. Idempotent. */
  closeNow(): void {
    this.setReadError(new CloseError(CloseAbnormalClosure, 'connection closed locally'));
    this.socket.destroy();
  }

  // ------------------------------------------------------------------ public: addresses

  /** The underlying socket: a `net.Socket` or `tls.TLSSocket` (gorilla's `NetConn`). */
  get underlyingSocket(): Duplex {
    return this.socket;
  }

  get localAddress(): SocketAddress | undefined {
    return addressOf(this.socket, 'local');
  }

  get remoteAddress(): SocketAddress | undefined {
    return addressOf(this.socket, 'remote');
  }

  // ------------------------------------------------------------------ reading internals

  private waitForRead(kind: ReadWaiter['kind'], options: ReadOptions | undefined): Promise<Message | MessageReader> {
    return new Promise((resolve, reject) => {
      const signal = options?.signal;
      if (signal?.aborted) return reject(signal.reason);
      const waiter: ReadWaiter = { kind, resolve, reject, signal, onAbort: undefined };
      if (signal !== undefined) {
        waiter.onAbort = () => {
          const i = this.readWaiters.indexOf(waiter);
          if (i >= 0) this.readWaiters.splice(i, 1);
          reject(signal.reason);
          this.updateFlow();
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.readWaiters.push(waiter);
      this.serviceReads();
      if (this.readWaiters.includes(waiter)) {
        if (this.readDeadline !== null && Date.now() >= this.readDeadline) {
          this.readWaiters.splice(this.readWaiters.indexOf(waiter), 1);
          settleWaiter(waiter);
          reject(new DeadlineExceededError('read'));
          return;
        }
        this.armReadTimer();
        this.updateFlow();
      }
    });
  }

  /** @internal PieceSource: the next piece of a streamed message. */
  nextPiece(message: IncomingMessage, signal: AbortSignal | undefined): Promise<Buffer | null> {
    if (message !== this.streaming) {
      return message.abandoned ? Promise.reject(new ReaderSupersededError()) : Promise.resolve(null);
    }
    if (this.pieceWaiter !== null) return Promise.reject(new WebSocketError('websocket: concurrent reads on one message reader'));
    const piece = message.shift();
    if (piece !== null) {
      this.buffered -= piece.length;
      this.updateFlow();
      return Promise.resolve(piece);
    }
    if (message.complete) {
      this.streaming = null;
      return Promise.resolve(null);
    }
    if (this.readError !== null) return Promise.reject(this.readError);
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const waiter: PieceWaiter = { message, resolve, reject, signal, onAbort: undefined };
      if (signal !== undefined) {
        waiter.onAbort = () => {
          if (this.pieceWaiter === waiter) this.pieceWaiter = null;
          reject(signal.reason);
          this.updateFlow();
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      if (this.readDeadline !== null && Date.now() >= this.readDeadline) {
        settleWaiter(waiter);
        reject(new DeadlineExceededError('read'));
        return;
      }
      this.pieceWaiter = waiter;
      this.armReadTimer();
      this.updateFlow();
    });
  }

  private dequeueWhole(): Message {
    const message = this.queue[this.queueHead]!;
    this.queue[this.queueHead++] = undefined as unknown as IncomingMessage;
    if (this.queueHead > 64 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    this.buffered -= message.bufferedBytes;
    const data = message.takeAll();
    if (this.paused) this.updateFlow();
    return { type: message.type, data };
  }

  /** A read moved on: whatever is left of the streamed message is dropped. */
  private abandonStreaming(): void {
    const message = this.streaming;
    if (message === null) return;
    this.streaming = null;
    this.buffered -= message.abandon();
    if (this.pieceWaiter !== null && this.pieceWaiter.message === message) {
      const waiter = this.pieceWaiter;
      this.pieceWaiter = null;
      settleWaiter(waiter);
      waiter.reject(new ReaderSupersededError());
    }
  }

  /** Hands queued messages and pieces to whoever is waiting for them. */
  private serviceReads(): void {
    while (this.readWaiters.length > 0) {
      const waiter = this.readWaiters[0]!;
      let head = this.queueHead < this.queue.length ? this.queue[this.queueHead]! : null;
      if (head !== null && !head.complete && this.readError !== null) {
        // The connection ended in the middle of this message: it will never be complete.
        this.queueHead++;
        this.buffered -= head.abandon();
        continue;
      }
      if (waiter.kind === 'message') {
        if (head === null || !head.complete) {
          if (head === null && this.readError !== null) {
            this.readWaiters.shift();
            settleWaiter(waiter);
            waiter.reject(this.readError);
            continue;
          }
          break;
        }
        this.readWaiters.shift();
        this.abandonStreaming();
        settleWaiter(waiter);
        waiter.resolve(this.dequeueWhole());
        continue;
      }
      if (head === null) {
        if (this.readError === null) break;
        this.readWaiters.shift();
        settleWaiter(waiter);
        waiter.reject(this.readError);
        continue;
      }
      this.readWaiters.shift();
      this.abandonStreaming();
      this.queue[this.queueHead++] = undefined as unknown as IncomingMessage;
      this.streaming = head;
      head = null;
      settleWaiter(waiter);
      waiter.resolve(new MessageReader(this.streaming, this));
    }
    const pw = this.pieceWaiter;
    if (pw !== null) {
      const piece = pw.message.shift();
      if (piece !== null) {
        this.buffered -= piece.length;
        this.pieceWaiter = null;
        settleWaiter(pw);
        pw.resolve(piece);
      } else if (pw.message.complete) {
        this.pieceWaiter = null;
        this.streaming = null;
        settleWaiter(pw);
        pw.resolve(null);
      } else if (this.readError !== null) {
        this.pieceWaiter = null;
        settleWaiter(pw);
        pw.reject(this.readError);
      }
    }
    if (this.readWaiters.length === 0 && this.pieceWaiter === null) this.clearReadTimer();
    this.updateFlow();
  }

  /** Pauses the socket when enough is buffered and nobody is waiting for more; resumes otherwise. */
  private updateFlow(): void {
    if (this.socketClosed) return;
    const hungry = this.readWaiters.length > 0 || this.pieceWaiter !== null;
    const pause = !this.closing && !hungry && this.buffered >= this.readBufferSize;
    if (pause && !this.paused) {
      this.paused = true;
      this.socket.pause();
    } else if (!pause && this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  }

  private armReadTimer(): void {
    this.clearReadTimer();
    if (this.readDeadline === null || (this.readWaiters.length === 0 && this.pieceWaiter === null)) return;
    this.readTimer = setTimeout(() => this.onReadDeadline(), Math.max(0, this.readDeadline - Date.now()));
  }

  private clearReadTimer(): void {
    if (this.readTimer !== null) {
      clearTimeout(this.readTimer);
      this.readTimer = null;
    }
  }

  private onReadDeadline(): void {
    this.readTimer = null;
    if (this.readDeadline === null) return;
    if (Date.now() < this.readDeadline) return this.armReadTimer();
    const err = new DeadlineExceededError('read');
    const waiters = this.readWaiters;
    this.readWaiters = [];
    for (const w of waiters) {
      settleWaiter(w);
      w.reject(err);
    }
    const pw = this.pieceWaiter;
    if (pw !== null) {
      this.pieceWaiter = null;
      settleWaiter(pw);
      pw.reject(err);
    }
    this.updateFlow();
  }

  // ------------------------------------------------------------------ core events

  private onMessageStart(opcode: DataOpcode, _compressed: boolean): void {
    const message = new IncomingMessage(opcode);
    this.receiving = message;
    // While closing, nobody may be reading: keep what fits the read buffer, drop the rest.
    if (this.closing && this.buffered >= this.readBufferSize) message.abandoned = true;
    else this.queue.push(message);
  }

  private onMessageData(data: Buffer): void {
    const message = this.receiving!;
    if (message.abandoned) return;
    message.push(data);
    this.buffered += data.length;
  }

  private onMessageEnd(): void {
    this.receiving!.complete = true;
    this.receiving = null;
  }

  private onPing(data: Buffer): void {
    if (this.pingHandler === null) return;
    try {
      this.pingHandler(data);
    } catch (err) {
      this.failFromHandler(err);
    }
  }

  private onPong(data: Buffer): void {
    const key = data.toString('latin1');
    const entries = this.pendingPings.get(key);
    const entry = entries?.shift();
    if (entries !== undefined && entries.length === 0) this.pendingPings.delete(key);
    if (entry !== undefined) entry.resolve(performance.now() - entry.sentAt);
    if (this.pongHandler === null) return;
    try {
      this.pongHandler(data);
    } catch (err) {
      this.failFromHandler(err);
    }
  }

  private onPeerClose(code: number, reason: string): void {
    this.peerClose = { code, reason };
    this.setReadError(new CloseError(code, reason));
    if (this.closeHandler !== null) {
      try {
        this.closeHandler(code, reason);
      } catch {
        // The close handshake goes on regardless: the echo below still answers the peer.
      }
    }
  }

  private onProtocolError(err: ProtocolError): void {
    this.setReadError(err);
  }

  private failFromHandler(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.setReadError(error);
    try {
      this.core.close(CloseInternalServerErr, truncateCloseReason(error.message));
    } catch {
      // already closing
    }
    this.startClosing();
  }

  private setReadError(err: Error): void {
    if (this.readError === null) this.readError = err;
  }

  // ------------------------------------------------------------------ socket events

  private onSocketData(chunk: Buffer): void {
    this.lastReceiveAt = Date.now();
    this.core.receive(chunk);
    this.afterReceive();
  }

  private afterReceive(): void {
    if (this.core.pendingOutputBytes > 0) scheduleFlush(this);
    if (this.core.closeSent) this.startClosing();
    if (this.core.isClosed && !this.tcpClosing) this.closeTcp();
    if (this.readWaiters.length > 0 || this.pieceWaiter !== null) this.serviceReads();
    else this.updateFlow();
  }

  private onSocketEnd(): void {
    // The peer closed its side of TCP. Without its close frame, that is an abnormal closure.
    this.setReadError(new CloseError(CloseAbnormalClosure, 'unexpected EOF'));
    if (!this.socket.writableEnded) {
      this.flush();
      this.socket.end();
    }
    this.serviceReads();
  }

  private onSocketError(err: Error): void {
    const closeError = new CloseError(CloseAbnormalClosure, err.message);
    (closeError as { cause?: unknown }).cause = err;
    this.setReadError(closeError);
  }

  private onSocketClose(): void {
    if (this.socketClosed) return;
    this.socketClosed = true;
    this.setReadError(new CloseError(CloseAbnormalClosure, 'connection closed'));
    const writeError = this.core.closeSent ? new CloseSentError() : this.readError!;
    if (this.writeError === null) this.writeError = writeError;
    this.turns.failAll(this.writeError);
    this.failWaiters(this.writtenWaiters, this.writeError);
    this.writtenWaiters = [];
    this.failWaiters(this.drainWaiters, this.writeError);
    this.drainWaiters = [];
    for (const entries of this.pendingPings.values()) for (const e of entries) e.reject(this.readError);
    this.pendingPings.clear();
    for (const timer of [this.keepaliveTimer, this.pongTimer, this.closeTimer, this.writeTimer]) if (timer !== null) clearTimeout(timer);
    this.keepaliveTimer = this.pongTimer = this.closeTimer = this.writeTimer = null;
    this.serviceReads();
    this.clearReadTimer();
    const clean = this.peerClose !== null && this.core.closeSent;
    this.resolveClosed({
      code: this.peerClose?.code ?? CloseAbnormalClosure,
      reason: this.peerClose?.reason ?? '',
      wasClean: clean,
    });
  }

  // ------------------------------------------------------------------ writing internals

  private sendMessageNow(type: DataMessageType, payload: Buffer, options: WriteOptions | undefined): Promise<void> {
    let byReference: boolean;
    try {
      byReference = this.core.sendMessage(type, payload);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.afterAppend(byReference, options);
  }

  /** After frames were queued in the core: flush when due, and wait when the socket is backed up. */
  private afterAppend(byReference: boolean, options: WriteOptions | undefined): Promise<void> {
    if (byReference) {
      // The socket holds the caller's buffer until it is written: wait for that.
      const written = this.trackWrite(new Promise<void>((resolve, reject) => this.writtenWaiters.push({ resolve, reject })));
      this.flush();
      return this.socket.writableNeedDrain ? written.then(() => this.whenDrained(options)) : written;
    }
    if (this.core.pendingOutputBytes >= this.writeBufferSize) this.flush();
    else scheduleFlush(this);
    if (this.overHighWaterMark()) {
      this.flush();
      if (this.socket.writableNeedDrain) return this.whenDrained(options);
    }
    return RESOLVED;
  }

  private overHighWaterMark(): boolean {
    return this.socket.writableLength + this.core.pendingOutputBytes > this.writeHighWaterMark;
  }

  private whenDrained(options: WriteOptions | undefined): Promise<void> {
    if (this.writeError !== null && this.socketClosed) return Promise.reject(this.writeError);
    if (!this.socket.writableNeedDrain) return RESOLVED;
    const signal = options?.signal;
    return this.trackWrite(
      new Promise<void>((resolve, reject) => {
        const entry = {
          resolve: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
          reject: (err: unknown) => {
            signal?.removeEventListener('abort', onAbort);
            reject(err);
          },
        };
        const onAbort = (): void => {
          const i = this.drainWaiters.indexOf(entry);
          if (i >= 0) this.drainWaiters.splice(i, 1);
          reject(signal!.reason);
        };
        if (signal?.aborted) return onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        this.drainWaiters.push(entry);
      }),
    );
  }

  /** Counts a write that is waiting, so the write deadline can see it. */
  private trackWrite<T>(wait: Promise<T>): Promise<T> {
    this.waitingWrites++;
    this.armWriteTimer();
    const settle = (): void => {
      this.waitingWrites--;
      this.armWriteTimer();
    };
    wait.then(settle, settle);
    return wait;
  }

  private onDrain(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w.resolve();
  }

  private async withTurn(options: WriteOptions | undefined, send: () => Promise<void>): Promise<void> {
    await this.trackWrite(this.turns.acquire(options?.signal));
    let sent: Promise<void>;
    try {
      sent = this.writeError !== null ? Promise.reject(this.writeError) : send();
    } finally {
      this.turns.release();
    }
    return sent;
  }

  /** @internal FragmentSink: one fragment of a `MessageWriter`'s message. */
  writeFragment(type: DataMessageType, payload: Buffer, first: boolean, fin: boolean): Promise<void> {
    if (this.writeError !== null) return Promise.reject(this.writeError);
    let byReference: boolean;
    try {
      byReference = this.core.sendFrame(first ? type : Opcode.Continuation, payload, fin);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.afterAppend(byReference, undefined);
  }

  /** @internal FragmentSink */
  releaseWriter(): void {
    this.turns.release();
  }

  private armWriteTimer(): void {
    if (this.writeTimer !== null) {
      clearTimeout(this.writeTimer);
      this.writeTimer = null;
    }
    if (this.writeDeadline === null || this.waitingWrites === 0 || this.socketClosed) return;
    this.writeTimer = setTimeout(() => {
      this.writeTimer = null;
      if (this.writeDeadline === null || this.waitingWrites === 0) return;
      if (Date.now() < this.writeDeadline) return this.armWriteTimer();
      // A peer that does not read cannot be written to: give up on the connection, as gorilla does.
      const err = new DeadlineExceededError('write');
      this.writeError = err;
      this.turns.failAll(err);
      this.failWaiters(this.drainWaiters, err);
      this.drainWaiters = [];
      const written = this.writtenWaiters;
      this.writtenWaiters = [];
      this.failWaiters(written, err);
      const closeError = new CloseError(CloseAbnormalClosure, 'write deadline exceeded');
      (closeError as { cause?: unknown }).cause = err;
      this.setReadError(closeError);
      this.socket.destroy();
    }, Math.max(0, this.writeDeadline - Date.now()));
  }

  /** @internal Flushable: hands queued frames to the socket. */
  flush(): void {
    const chunks = this.core.takeOutput();
    if (chunks.length === 0) return;
    const socket = this.socket;
    if (socket.destroyed || socket.writableEnded) {
      this.failWaiters(this.writtenWaiters, this.writeError ?? new CloseError(CloseAbnormalClosure, 'connection closed'));
      this.writtenWaiters = [];
      return;
    }
    let callback: ((err?: Error | null) => void) | undefined;
    if (this.writtenWaiters.length > 0) {
      const waiters = this.writtenWaiters;
      this.writtenWaiters = [];
      callback = (err) => {
        if (err) this.failWaiters(waiters, err);
        else for (const w of waiters) w.resolve();
      };
    }
    if (chunks.length === 1) {
      socket.write(chunks[0]!, callback);
      return;
    }
    socket.cork();
    const last = chunks.length - 1;
    for (let i = 0; i < last; i++) socket.write(chunks[i]!);
    socket.write(chunks[last]!, callback);
    socket.uncork();
  }

  private failWaiters(waiters: Array<{ reject(err: unknown): void }>, err: unknown): void {
    for (const w of waiters) w.reject(err);
  }

  // ------------------------------------------------------------------ closing internals

  /** Our close frame is queued: no more messages, and the peer gets `closeTimeout` to answer. */
  private startClosing(): void {
    if (this.closing) return;
    this.closing = true;
    if (this.writeError === null) this.writeError = new CloseSentError();
    this.turns.failAll(this.writeError);
    scheduleFlush(this);
    this.updateFlow();
    if (!this.core.isClosed && !this.socketClosed) {
      this.closeTimer = setTimeout(() => {
        this.closeTimer = null;
        this.setReadError(new CloseError(CloseAbnormalClosure, 'close handshake timed out'));
        this.socket.destroy();
      }, this.closeTimeout);
    }
  }

  /** Both close frames are exchanged, or the connection failed: close TCP. */
  private closeTcp(): void {
    this.tcpClosing = true;
    if (this.closeTimer !== null) clearTimeout(this.closeTimer);
    this.flush();
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

  private keepaliveTick(): void {
    if (this.closing || this.socketClosed || this.pongTimer !== null) return;
    const sentAt = Date.now();
    try {
      this.core.ping(Buffer.from('keepalive'));
    } catch {
      return;
    }
    scheduleFlush(this);
    this.pongTimer = setTimeout(() => {
      this.pongTimer = null;
      if (this.lastReceiveAt >= sentAt) return;
      // Nothing came back: the peer or the path is dead. Say why (best effort) and drop it.
      this.setReadError(new KeepaliveTimeoutError());
      try {
        this.core.close(CloseInternalServerErr, 'keepalive timeout');
        this.flush();
      } catch {
        // already closing
      }
      this.socket.destroy();
    }, this.pongTimeout);
    this.pongTimer.unref();
  }
}

/** Close codes after which iteration simply ends. */
const NORMAL_CLOSE_CODES = new Set([CloseNormalClosure, CloseGoingAway, CloseNoStatusReceived]);

const EMPTY = Buffer.alloc(0);

export interface SocketAddress {
  address: string;
  port: number;
  family: string;
}

function addressOf(socket: Duplex, which: 'local' | 'remote'): SocketAddress | undefined {
  const s = socket as Partial<Record<'localAddress' | 'localPort' | 'localFamily' | 'remoteAddress' | 'remotePort' | 'remoteFamily', unknown>>;
  const address = s[`${which}Address`];
  const port = s[`${which}Port`];
  if (typeof address !== 'string' || typeof port !== 'number') return undefined;
  const family = s[`${which}Family`];
  return { address, port, family: typeof family === 'string' ? family : address.includes(':') ? 'IPv6' : 'IPv4' };
}

function settleWaiter(waiter: { signal: AbortSignal | undefined; onAbort: (() => void) | undefined }): void {
  if (waiter.signal !== undefined && waiter.onAbort !== undefined) waiter.signal.removeEventListener('abort', waiter.onAbort);
}

function withTimeout<T>(promise: Promise<T>, deadline: number, makeError: () => Error): Promise<T> {
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
