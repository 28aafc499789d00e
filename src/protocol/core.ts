/**
 * The sans-I/O WebSocket connection (RFC 6455 §5–§7): bytes from the peer go in through
 * {@link ConnectionCore.receive} and come out as events; messages from the application go in
 * through {@link ConnectionCore.sender} and come out as bytes from {@link ConnectionCore.takeOutput}.
 *
 * Its {@link ConnectionCore.lifecycle} owns the connection's life: one state, one cause of its
 * ending, and every decision of the closing handshake, handed to the I/O layer as actions. The
 * rules a frame's header decides are {@link checkFrameHeader}'s (`frame-rules.ts`).
 * No sockets, no timers.
 */
import { Buffer } from 'node:buffer';
import { CloseInvalidFramePayloadData, CloseNoStatusReceived, decodeClosePayload, encodeClosePayload } from './close.js';
import { ProtocolError } from './errors.js';
import { type FrameHeader, Opcode, isControlOpcode } from './frame.js';
import { type ReceivingMessage, checkFrameHeader } from './frame-rules.js';
import { FrameSender } from './frame-sender.js';
import { Lifecycle, type LifecycleActions, NO_ACTIONS } from './lifecycle.js';
import type { MaskKeySource } from './mask-keys.js';
import { type FrameHandler, FrameParser } from './parser.js';
import { Utf8Validator } from './utf8.js';
import { PROTOCOL_DEFAULTS } from './defaults.js';

/** Which side of a connection this is: clients mask their frames, servers must not (§5.1). */
export type Role = 'client' | 'server';

/** Data message types, numbered as their opcodes (and as gorilla's constants). */
export type DataOpcode = typeof Opcode.Text | typeof Opcode.Binary;

/** Options for a {@link ConnectionCore}. */
export interface CoreOptions {
  /** Which side this is: it decides masking in both directions (§5.1) and who closes TCP first (§7.1.1). */
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
  /** How long each step of the closing handshake may take, in ms (the timers' durations). Default 5 s. */
  closeTimeout?: number;
  /**
   * On a failure, hold the close frame until `lifecycle.sendFailureClose()` (or the
   * `failureClose` timer), so that messages received before the bad frame can be answered first.
   */
  deferFailureClose?: boolean;
}

/** What the core reports. Called synchronously from inside {@link ConnectionCore.receive}. */
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
  /** The peer's close frame. If no close frame has been sent when this returns, the core echoes the code (§5.5.1). */
  onClose(code: number, reason: string): void;
  /** The peer broke a rule; the connection failed with `error.closeCode` (§7.1.7). */
  onError(error: ProtocolError): void;
}

/** The sans-I/O WebSocket connection and its lifecycle. */
export class ConnectionCore implements FrameHandler, ReceivingMessage {
  /** Which side of the connection this is (§5.1: clients mask, servers do not). */
  readonly role: Role;
  /** Largest message accepted, in payload bytes as received; may be changed at any time. */
  maxMessageSize: number;
  /** Most frames one message may span; may be changed at any time. */
  maxFragments: number;
  /** Answer each ping with a pong carrying the same payload (§5.5.2). */
  autoPong: boolean;
  /** permessage-deflate was agreed. */
  readonly compression: boolean;
  /** Frames out: data, pings and pongs go in here; close frames through the lifecycle methods. */
  readonly sender: FrameSender;
  /** The connection's life: its state, why it ends, the closing handshake. */
  readonly lifecycle: Lifecycle;
  private readonly events: ConnectionEvents;
  /** Made at the first bytes received: an idle connection never needs one. */
  private parser: FrameParser | null = null;

  // Receiving.
  private frame: FrameHeader | null = null;
  /** @internal ReceivingMessage: the data message in progress, checked by the frame rules. */
  messageOpcode = 0;
  /** @internal */
  messageFrames = 0;
  /** @internal */
  messageBytes = 0;
  private messageCompressed = false;
  /** Made at the first uncompressed text message: an idle or binary-only connection never needs one. */
  private utf8: Utf8Validator | null = null;
  /** The pieces of a control frame split across reads (rare: made when needed). */
  private controlPieces: Buffer[] | null = null;

  /** Nothing more from the peer is processed: its close frame came, the connection failed, or it is gone (§7.1.7). */
  private readingDone = false;

  constructor(options: CoreOptions, events: ConnectionEvents, actions: LifecycleActions = NO_ACTIONS) {
    this.role = options.role;
    this.maxMessageSize = options.maxMessageSize ?? PROTOCOL_DEFAULTS.maxMessageSize;
    this.maxFragments = options.maxFragments ?? PROTOCOL_DEFAULTS.maxFragments;
    this.autoPong = options.autoPong ?? true;
    this.compression = options.compression ?? false;
    this.events = events;
    this.sender = new FrameSender(this.role, options.writeBufferSize ?? PROTOCOL_DEFAULTS.writeBufferSize, this.compression, options.maskKeys);
    this.lifecycle = new Lifecycle({
      role: this.role,
      closeTimeout: options.closeTimeout ?? PROTOCOL_DEFAULTS.closeTimeout,
      deferFailureClose: options.deferFailureClose ?? false,
      sender: this.sender,
      actions,
      input: this,
    });
  }

  /** Our close frame is queued: no more frames may be sent (§5.5.1). */
  get closeSent(): boolean {
    return this.sender.closeSent;
  }

  /** The peer's close frame has been received: nothing after it is processed. */
  get closeReceived(): boolean {
    return this.lifecycle.closeReceived;
  }

  /** The error that failed the connection, if the peer broke a rule. */
  get failure(): ProtocolError | null {
    return this.lifecycle.failure;
  }

  /** Both close frames were exchanged, or the connection failed and said so: the transport may go. */
  get isClosed(): boolean {
    return this.lifecycle.isClosed;
  }

  /**
   * Starts the closing handshake (§7.1.2) with a close frame. Returns false, sending nothing, when a
   * close frame was already sent. Code 1005 sends an empty payload; an invalid code or reason throws.
   */
  close(code: number = CloseNoStatusReceived, reason = ''): boolean {
    return this.lifecycle.closeWithPayload(encodeClosePayload(code, reason));
  }

  /**
   * Fails the connection (§7.1.7) for a reason found above the core, such as a message that
   * inflates past the read limit. Returns the error.
   */
  fail(error: ProtocolError): ProtocolError {
    if (!this.readingDone) this.failWith(error);
    return error;
  }

  /** The bytes queued for the peer since the last call, in order. */
  takeOutput(): Buffer[] {
    return this.sender.take();
  }

  /** How many bytes wait in {@link takeOutput}. */
  get pendingOutputBytes(): number {
    return this.sender.pendingBytes;
  }

  // ---------------------------------------------------------------- receiving

  /**
   * Feeds bytes received from the peer; events fire synchronously. Bytes after the peer's close
   * frame, or after a failure, are ignored (§7.1.7: the endpoint stops processing). The chunk is
   * unmasked in place and may be referenced by the reported payloads. `memory` is `chunk.buffer`
   * when the caller has read it already (a call into the engine, worth making once).
   */
  receive(chunk: Buffer, memory: ArrayBufferLike | null = null): void {
    if (this.readingDone) return;
    try {
      // One header object for all frames: the core is done with each at its end.
      (this.parser ??= new FrameParser(this, { reuseHeader: true })).push(chunk, memory);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      if (!this.readingDone) this.failWith(err);
    }
  }

  /** @internal FrameHandler: runs the header checks before any payload is held. */
  onFrameHeader(h: FrameHeader): void {
    if (this.readingDone) return;
    if (checkFrameHeader(h, this, this)) {
      this.messageCompressed = h.rsv1;
      if (h.opcode === Opcode.Text && !h.rsv1) (this.utf8 ??= new Utf8Validator()).reset();
      this.frame = h;
      this.events.onMessageStart(h.opcode as DataOpcode, h.rsv1);
      return;
    }
    this.frame = h;
  }

  /** @internal FrameHandler */
  onFramePayload(data: Buffer): void {
    if (this.readingDone) return;
    if (isControlOpcode(this.frame!.opcode)) {
      (this.controlPieces ??= []).push(data);
      return;
    }
    // §8.1: fail as soon as invalid UTF-8 is seen, not at the end of the message.
    if (this.messageOpcode === Opcode.Text && !this.messageCompressed && !this.utf8!.write(data)) {
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
      this.controlPieces = null;
      this.handleControl(h.opcode, pieces === null ? EMPTY_PAYLOAD : pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces));
      return;
    }
    if (!h.fin) return;
    if (this.messageOpcode === Opcode.Text && !this.messageCompressed && !this.utf8!.isComplete()) {
      throw new ProtocolError(CloseInvalidFramePayloadData, 'text message ends inside a UTF-8 sequence');
    }
    this.messageOpcode = 0;
    this.events.onMessageEnd();
  }

  private handleControl(opcode: number, payload: Buffer): void {
    if (opcode === Opcode.Ping) {
      // §5.5.2/§5.5.3: answer with a pong carrying the same data, unless we are closing.
      if (this.autoPong && !this.sender.closeSent) this.sender.pong(payload);
      this.events.onPing(payload);
    } else if (opcode === Opcode.Pong) {
      this.events.onPong(payload); // unsolicited pongs are allowed and need no answer
    } else {
      const { code, reason } = decodeClosePayload(payload);
      this.lifecycle.peerClosed(code, reason);
      this.events.onClose(code, reason);
      this.lifecycle.answerPeerClose(code);
    }
  }

  private failWith(error: ProtocolError): void {
    this.lifecycle.failed(error);
    this.events.onError(error);
  }

  /** @internal Stops processing input for good (the lifecycle decides when). */
  stopReading(): void {
    if (this.readingDone) return;
    this.readingDone = true;
    this.parser?.halt(); // none yet: `receive` checks `readingDone` before making one
  }
}

const EMPTY_PAYLOAD = Buffer.alloc(0);
