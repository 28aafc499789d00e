/**
 * The WebSocket state machine (RFC 6455 §5, §6, §7), without any I/O: bytes from the peer go in
 * through {@link Connection.receive} and come out as events; messages from the application go in
 * through the send methods and come out as bytes from {@link Connection.takeOutput}.
 *
 * It enforces every framing rule on the receiving side, reassembles fragmented messages (as a
 * stream of payload pieces, so a large message never has to be held by the core), answers pings
 * and close frames, and fails the connection with the close code the RFC names when the peer
 * breaks a rule. What it cannot do without I/O (timers, sockets, zlib streams) is the socket
 * layer's job.
 */
import {
  CloseInvalidFramePayloadData,
  CloseMessageTooBig,
  CloseNoStatusReceived,
  CloseProtocolError,
  decodeClosePayload,
  encodeClosePayload,
  truncateCloseReason,
} from './close.js';
import { ProtocolError, WebSocketError } from './errors.js';
import { type FrameHeader, MAX_CONTROL_PAYLOAD, Opcode, RSV1, firstByte, isControlOpcode, isKnownOpcode } from './frame.js';
import { type MaskKeySource, defaultMaskKeys } from './mask-keys.js';
import { Outbox } from './outbox.js';
import { type FrameHandler, FrameParser } from './parser.js';
import { Utf8Validator } from './utf8.js';

/**  'server';|Which side of a connection: clients mask their frames, servers must not (§5.1). */
export type Role = 'client' | 'server';

/** Data message types, numbered as their opcodes (and as gorilla's constants). */
export type DataOpcode = typeof Opcode.Text | typeof Opcode.Binary;

/** 16 MiB: a safe finite default read limit. */
export const DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024;
/** 131,072 frames: above what any real sender needs (Autobahn's largest case uses 65,536). */
export const DEFAULT_MAX_FRAGMENTS = 128 * 1024;
/** 16 KiB: frames up to this size are coalesced into shared write batches. */
export const DEFAULT_WRITE_BUFFER_SIZE = 16 * 1024;

/** Options for the state machine {@link Connection}. */
export interface ConnectionOptions {
  /** Which side this is: it decides masking in both directions (§5.1). */
  role: Role;
  /** Largest message accepted, in payload bytes as received; larger ones fail with 1009. */
  maxMessageSize?: number;
  /** Most frames one message may span; more fail with 1009. */
  maxFragments?: number;
  /** permessage-deflate is in use: RSV1 may mark the first frame of a data message (RFC 7692 §6). */
  compression?: boolean;
  /** Answer each ping with a pong carrying the same payload (§5.5.2). Default true. */
  autoPong?: boolean;
  /** Frames up to this many bytes are copied into write batches; larger ones are written as they are. */
  writeBufferSize?: number;
  /** Where client masking keys come from; a CSPRNG unless a test says otherwise. */
  maskKeys?: Pick<MaskKeySource, 'nextKey'>;
  /**
   * On a failure, leave the close frame to {@link Connection.sendFailureClose} instead of queueing
   * it at once, so that messages received before the bad frame can still be answered first.
   */
  deferFailureClose?: boolean;
}

/** What the state machine reports. Called synchronously from inside {@link Connection.receive}. */
export interface ConnectionEvents {
  /** A data message begins. `compressed`: its first frame had RSV1 set (permessage-deflate). */
  onMessageStart(opcode: DataOpcode, compressed: boolean): void;
  /** The next piece of the message payload, as received (still compressed if compressed). */
  onMessageData(data: Buffer): void;
  /** The current data message is complete (its last frame had FIN set). */
  onMessageEnd(): void;
  /** A ping arrived. With `autoPong` (the default) the pong is already queued. */
  onPing(payload: Buffer): void;
  /** A pong arrived (solicited or not, §5.5.3). */
  onPong(payload: Buffer): void;
  /**
   * The peer's close frame. If, when this returns, no close frame has been sent, the connection
   * answers with one echoing the code (§5.5.1).
   */
  onClose(code: number, reason: string): void;
  /** The peer broke a rule; a close frame with `error.closeCode` has been queued. */
  onError(error: ProtocolError): void;
}

/** Thrown when sending is attempted after our close frame was sent (gorilla's `ErrCloseSent`). */
export class CloseSentError extends WebSocketError {
  /** Always `'CloseSentError'`. */
  override name = 'CloseSentError';
  constructor() {
    super('websocket: close sent');
  }
}

/**
 * The sans-I/O WebSocket state machine: bytes from the peer in through {@link Connection.receive},
 * events out through {@link ConnectionEvents}; messages in through the send methods, bytes out
 * through {@link Connection.takeOutput}. No sockets, no timers.
 *
 * @example
 * ```ts
 * const conn = new Connection({ role: 'server' }, events);
 * conn.receive(bytesFromSocket);          // events fire synchronously
 * socket.write(Buffer.concat(conn.takeOutput()));
 * ```
 */
export class Connection implements FrameHandler {
  /** Which side this is. */
  readonly role: Role;
  /** Largest message accepted, in payload bytes as received; may be changed at any time. */
  maxMessageSize: number;
  /** Most frames one message may span; may be changed at any time. */
  maxFragments: number;
  /** Answer each ping with a pong carrying the same payload (§5.5.2). */
  autoPong: boolean;
  private readonly compression: boolean;
  private readonly deferFailureClose: boolean;
  private readonly events: ConnectionEvents;
  private readonly parser: FrameParser;
  private readonly outbox: Outbox;
  private readonly maskKeys: Pick<MaskKeySource, 'nextKey'> | null;

  // Receiving side.
  private frame: FrameHeader | null = null;
  /** Opcode of the data message being received, or 0 between messages. */
  private messageOpcode = 0;
  private messageCompressed = false;
  private messageBytes = 0;
  private messageFrames = 0;
  private readonly utf8 = new Utf8Validator();
  private controlPieces: Buffer[] = [];
  /** Set once nothing more from the peer may be processed: its close frame, or a failure. */
  private readingDone = false;

  // Sending side.
  private sendingFragmented = false;
  private _closeSent = false;
  private _closeReceived = false;
  private _failure: ProtocolError | null = null;

  constructor(options: ConnectionOptions, events: ConnectionEvents) {
    this.role = options.role;
    this.maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    this.maxFragments = options.maxFragments ?? DEFAULT_MAX_FRAGMENTS;
    this.autoPong = options.autoPong ?? true;
    this.compression = options.compression ?? false;
    this.deferFailureClose = options.deferFailureClose ?? false;
    this.events = events;
    // One header object for all frames: the state machine is done with each at its end.
    this.parser = new FrameParser(this, { reuseHeader: true });
    this.outbox = new Outbox(options.writeBufferSize ?? DEFAULT_WRITE_BUFFER_SIZE);
    this.maskKeys = this.role === 'client' ? (options.maskKeys ?? defaultMaskKeys) : null;
  }

  /** We have sent a close frame: no more frames may be sent (§5.5.1). */
  get closeSent(): boolean {
    return this._closeSent;
  }

  /** The peer's close frame has been received: nothing after it is processed. */
  get closeReceived(): boolean {
    return this._closeReceived;
  }

  /** The error that failed the connection, if the peer broke a rule. */
  get failure(): ProtocolError | null {
    return this._failure;
  }

  /** Both close frames have been exchanged, or the connection failed and said so: TCP may go. */
  get isClosed(): boolean {
    return this._closeSent && (this._closeReceived || this._failure !== null);
  }

  // ---------------------------------------------------------------- receiving

  /**
   * Feeds bytes received from the peer. Events fire synchronously. Bytes after the peer's close
   * frame, or after a failure, are ignored (§7.1.7: the endpoint stops processing).
   * The chunk is unmasked in place and may be referenced by the reported payloads.
   */
  receive(chunk: Buffer): void {
    if (this.readingDone) return;
    try {
      this.parser.push(chunk);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      if (!this.readingDone) this.failWith(err);
    }
  }

  /** @internal FrameHandler: runs the header checks, before any payload is held. */
  onFrameHeader(h: FrameHeader): void {
    if (this.readingDone) return;
    const opcode = h.opcode;
    if (h.rsv2 || h.rsv3) throw new ProtocolError(CloseProtocolError, 'RSV2/RSV3 set without a negotiated extension');
    if (!isKnownOpcode(opcode)) throw new ProtocolError(CloseProtocolError, `reserved opcode 0x${opcode.toString(16)}`);
    // §5.1: client-to-server frames are masked, server-to-client frames are not.
    if (this.role === 'server' && !h.masked) throw new ProtocolError(CloseProtocolError, 'client frame is not masked');
    if (this.role === 'client' && h.masked) throw new ProtocolError(CloseProtocolError, 'server frame is masked');
    if (isControlOpcode(opcode)) {
      // §5.5: control frames have at most 125 bytes of payload and are never fragmented.
      if (h.payloadLength > MAX_CONTROL_PAYLOAD) throw new ProtocolError(CloseProtocolError, 'control frame payload over 125 bytes');
      if (!h.fin) throw new ProtocolError(CloseProtocolError, 'fragmented control frame');
      // RFC 7692 §6: RSV1 is only for the first frame of a data message.
      if (h.rsv1) throw new ProtocolError(CloseProtocolError, 'RSV1 set on a control frame');
      this.frame = h;
      return;
    }
    if (opcode === Opcode.Continuation) {
      if (this.messageOpcode === 0) throw new ProtocolError(CloseProtocolError, 'continuation frame with no message to continue');
      if (h.rsv1) throw new ProtocolError(CloseProtocolError, 'RSV1 set on a continuation frame');
    } else {
      if (this.messageOpcode !== 0) throw new ProtocolError(CloseProtocolError, 'new data frame inside a fragmented message');
      if (h.rsv1 && !this.compression) throw new ProtocolError(CloseProtocolError, 'RSV1 set without permessage-deflate');
      this.messageOpcode = opcode;
      this.messageCompressed = h.rsv1;
      this.messageBytes = 0;
      this.messageFrames = 0;
      this.utf8.reset();
    }
    if (++this.messageFrames > this.maxFragments) {
      throw new ProtocolError(CloseMessageTooBig, `message spans more than ${this.maxFragments} frames`);
    }
    this.messageBytes += h.payloadLength;
    if (this.messageBytes > this.maxMessageSize) {
      throw new ProtocolError(CloseMessageTooBig, `message exceeds the read limit of ${this.maxMessageSize} bytes`);
    }
    this.frame = h;
    if (opcode !== Opcode.Continuation) this.events.onMessageStart(opcode as DataOpcode, h.rsv1);
  }

  /** @internal FrameHandler */
  onFramePayload(data: Buffer): void {
    if (this.readingDone) return;
    if (isControlOpcode(this.frame!.opcode)) {
      this.controlPieces.push(data);
      return;
    }
    // §8.1: fail as soon as invalid UTF-8 is seen, not at the end of the message.
    if (this.messageOpcode === Opcode.Text && !this.messageCompressed && !this.utf8.write(data)) {
      throw new ProtocolError(CloseInvalidFramePayloadData, 'text message is not valid UTF-8');
    }
    this.events.onMessageData(data);
  }

  /** @internal FrameHandler */
  onFrameEnd(): void {
    if (this.readingDone) return;
    const h = this.frame!;
    this.frame = null;
    if (isControlOpcode(h.opcode)) {
      const pieces = this.controlPieces;
      this.controlPieces = [];
      const payload = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
      this.handleControl(h.opcode, payload);
      return;
    }
    if (!h.fin) return;
    if (this.messageOpcode === Opcode.Text && !this.messageCompressed && !this.utf8.isComplete()) {
      throw new ProtocolError(CloseInvalidFramePayloadData, 'text message ends inside a UTF-8 sequence');
    }
    this.messageOpcode = 0;
    this.events.onMessageEnd();
  }

  private handleControl(opcode: number, payload: Buffer): void {
    if (opcode === Opcode.Ping) {
      // §5.5.2/§5.5.3: answer with a pong carrying the same data, unless we are closing.
      if (this.autoPong && !this._closeSent) this.pong(payload);
      this.events.onPing(payload);
    } else if (opcode === Opcode.Pong) {
      this.events.onPong(payload); // unsolicited pongs are allowed and need no answer
    } else {
      const { code, reason } = decodeClosePayload(payload);
      this._closeReceived = true;
      this.stopReading();
      this.events.onClose(code, reason);
      // §5.5.1: answer a close with a close, usually echoing the status code.
      if (!this._closeSent) this.sendClose(code === CloseNoStatusReceived ? Buffer.alloc(0) : encodeClosePayload(code));
    }
  }

  // ---------------------------------------------------------------- sending

  /** Sends a whole message as one frame. `compressed`: the payload is deflated (sets RSV1). */
  sendMessage(opcode: DataOpcode, payload: Uint8Array, compressed = false): boolean {
    return this.sendFrame(opcode, payload, true, compressed);
  }

  /**
   * Sends one data frame; for fragmented messages, the first frame carries the opcode and the
   * rest are continuations (§5.4). Throws when the order of fragments is wrong or our close frame
   * has been sent. Returns true when the payload was queued by reference (see {@link Outbox}).
   */
  sendFrame(opcode: DataOpcode | typeof Opcode.Continuation, payload: Uint8Array, fin: boolean, compressed = false): boolean {
    if (this._closeSent) throw new CloseSentError();
    if (opcode === Opcode.Continuation) {
      if (!this.sendingFragmented) throw new Error('continuation frame sent with no fragmented message open');
      if (compressed) throw new Error('RSV1 belongs on the first frame of a message only');
    } else if (this.sendingFragmented) {
      throw new Error('a new message started while a fragmented message is open');
    }
    if (compressed && !this.compression) throw new Error('compression was not negotiated');
    this.sendingFragmented = !fin;
    return this.outbox.pushFrame(firstByte(fin, opcode, compressed ? RSV1 : 0), payload, this.nextMaskKey());
  }

  /** Queues a complete frame encoded beforehand (server side only: client frames need fresh masks). */
  sendEncodedFrame(frame: Buffer): void {
    if (this._closeSent) throw new CloseSentError();
    if (this.role !== 'server') throw new Error('pre-encoded frames are unmasked: server side only');
    if (this.sendingFragmented) throw new Error('a new message started while a fragmented message is open');
    this.outbox.pushEncoded(frame);
  }

  /** Queues a ping (at most 125 bytes). Throws `CloseSentError` after our close frame. */
  ping(payload: Uint8Array = EMPTY): void {
    this.sendControl(Opcode.Ping, payload);
  }

  /**
   * Queues a pong (at most 125 bytes); an unsolicited pong is a heartbeat (§5.5.3). Throws
   * `CloseSentError` after our close frame.
   */
  pong(payload: Uint8Array = EMPTY): void {
    this.sendControl(Opcode.Pong, payload);
  }

  /**
   * Starts the closing handshake (§7.1.2) with a close frame. Returns false, sending nothing, when a
   * close frame was already sent. Code 1005 sends an empty close payload.
   */
  close(code: number = CloseNoStatusReceived, reason = ''): boolean {
    if (this._closeSent) return false;
    this.sendClose(encodeClosePayload(code, reason));
    return true;
  }

  /** Sends a close frame whose payload was built by the caller (gorilla's `WriteControl(CloseMessage, ...)`). */
  closeWithPayload(payload: Uint8Array): boolean {
    if (this._closeSent) return false;
    if (payload.length > 0) decodeClosePayload(payload); // refuse what the peer would reject
    this.sendClose(payload);
    return true;
  }

  /**
   * Fails the connection (§7.1.7) for a reason found above the core, such as a message that
   * inflates past the read limit: sends a close frame with `code` and stops processing input.
   */
  fail(code: number, message: string): ProtocolError {
    const error = new ProtocolError(code, message);
    if (!this.readingDone) this.failWith(error);
    return error;
  }

  /** The bytes queued for the peer since the last call, in order. */
  takeOutput(): Buffer[] {
    return this.outbox.take();
  }

  /** How many bytes are waiting in {@link takeOutput}. */
  get pendingOutputBytes(): number {
    return this.outbox.pendingBytes;
  }

  private failWith(error: ProtocolError): void {
    this._failure = error;
    this.stopReading();
    if (!this.deferFailureClose) this.sendFailureClose();
    this.events.onError(error);
  }

  /**
   * Sends the close frame of a failure (§7.1.7), with its close code, unless a close frame was sent
   * already. Returns whether it sent one. Only needed with `deferFailureClose`.
   */
  sendFailureClose(): boolean {
    const error = this._failure;
    if (error === null || this._closeSent) return false;
    this.sendClose(encodeClosePayload(error.closeCode, truncateCloseReason(error.message)));
    return true;
  }

  private stopReading(): void {
    this.readingDone = true;
    this.parser.halt();
  }

  private sendControl(opcode: number, payload: Uint8Array): void {
    if (this._closeSent) throw new CloseSentError();
    if (payload.length > MAX_CONTROL_PAYLOAD) throw new RangeError('control frame payload over 125 bytes (§5.5)');
    this.outbox.pushFrame(firstByte(true, opcode), payload, this.nextMaskKey());
  }

  private sendClose(payload: Uint8Array): void {
    this.outbox.pushFrame(firstByte(true, Opcode.Close), payload, this.nextMaskKey());
    this._closeSent = true;
  }

  private nextMaskKey(): number | null {
    return this.maskKeys === null ? null : this.maskKeys.nextKey();
  }
}

const EMPTY = new Uint8Array(0);
