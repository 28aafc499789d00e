/**
 * The connection driver: runs one WebSocket connection over any Node `Duplex` (a `net.Socket`, a
 * `tls.TLSSocket`, an HTTP/2 stream). It listens to the transport, feeds its bytes to the core,
 * hands the core's events to the inbox and the application's handlers, and reports back what the
 * transport did. Carrying out the lifecycle's actions is its base's (`driver-lifecycle.ts`). It
 * decides only how to do I/O; every decision about the connection's life is the core's
 * (`protocol/lifecycle.ts`).
 */
import type { Duplex } from 'node:stream';
import { ConnectionCore, type ConnectionEvents, type DataOpcode, type Role } from '../protocol/core.js';
import { abnormalClosure } from '../protocol/ending.js';
import type { ProtocolError } from '../protocol/errors.js';
import type { FrameSender } from '../protocol/frame-sender.js';
import type { Lifecycle } from '../protocol/lifecycle.js';
import type { ResolvedConnLimits } from './conn-init.js';
import { DriverLifecycle } from './driver-lifecycle.js';
import { Inbox } from './inbox.js';
import type { InboxParts } from './inbox-accounts.js';
import { PingTracker } from './pings.js';
import type { Decompressor } from './permessage-deflate.js';
import { type WriteCompression, Writer, type WriterParts } from './writer.js';

/** What a driver is built from: the transport, and the settings of each part. */
export interface DriverSettings {
  role: Role;
  transport: Duplex;
  /** Drops the transport; default `destroy()` (an HTTP/2 stream passes a reset with CANCEL). */
  abortTransport?: () => void;
  limits: ResolvedConnLimits;
  decompressor: Decompressor | null;
  compression: WriteCompression | null;
}

export class Driver extends DriverLifecycle implements ConnectionEvents, InboxParts, WriterParts {
  readonly core: ConnectionCore;
  readonly lifecycle: Lifecycle;
  readonly inbox: Inbox;
  readonly writer: Writer;
  /** The application's ping, pong and close handlers (gorilla's `SetPingHandler` and friends). */
  pingHandler: ((data: Buffer) => void) | null = null;
  pongHandler: ((data: Buffer) => void) | null = null;
  closeHandler: ((code: number, text: string) => void) | null = null;
  // What the inbox and the writer are given (InboxParts, WriterParts): the driver is their parts,
  // one object per connection instead of an object and a closure for each (idle connections count).
  readonly readBufferSize: number;
  readonly decompressor: Decompressor | null;
  readonly sender: FrameSender;
  readonly isServer: boolean;
  readonly highWaterMark: number;
  readonly compression: WriteCompression | null;
  private pingTracker: PingTracker | null = null;

  constructor(s: DriverSettings) {
    super(s);
    const limits = s.limits;
    this.readBufferSize = limits.readBufferSize;
    this.decompressor = s.decompressor;
    this.isServer = s.role === 'server';
    this.highWaterMark = limits.writeHighWaterMark;
    this.compression = s.compression;
    // The driver is the core's event sink and its actions: one object, not a closure per callback.
    this.core = new ConnectionCore(
      {
        role: s.role,
        maxMessageSize: limits.readLimit,
        maxFragments: limits.maxFragments,
        writeBufferSize: limits.writeBufferSize,
        compression: s.compression !== null,
        closeTimeout: limits.closeTimeout,
        // Messages that arrived before a bad frame are answered before the failure's close frame.
        deferFailureClose: true,
      },
      this,
      this,
    );
    this.sender = this.core.sender;
    this.lifecycle = this.core.lifecycle;
    this.inbox = new Inbox(this);
    this.writer = new Writer(this);
    this.liveness = this.startLiveness(s);
    const transport = s.transport;
    const t = transport as DriverTransport;
    t[kDriver] = this;
    t.on('data', onTransportData);
    t.on('end', onTransportEnd);
    t.on('error', onTransportError);
    t.on('close', onTransportClose);
    t.on('drain', onTransportDrain);
    if ('setNoDelay' in t && typeof t.setNoDelay === 'function') t.setNoDelay(true);
    if ('setTimeout' in t && typeof t.setTimeout === 'function') t.setTimeout(0);
  }

  /** Pings sent with `Conn.ping()`, matched with their pongs (made at the first). */
  get pings(): PingTracker {
    return (this.pingTracker ??= new PingTracker());
  }

  // ---------------------------------------------------------------- InboxParts, WriterParts

  /** @internal */
  setPaused(paused: boolean): void {
    if (paused) {
      this.transport.pause();
    } else {
      this.liveness?.resumed();
      this.transport.resume();
    }
  }

  /** @internal */
  outputBackedUp(): boolean {
    return this.transport.writableNeedDrain && this.transport.writableLength > this.highWaterMark;
  }

  /** @internal */
  readLimit(): number {
    return this.core.maxMessageSize;
  }

  /** Starts reading: first the bytes that came with the handshake, if any. */
  start(head: Buffer | undefined): void {
    if (head !== undefined && head.length > 0) this.transportData(head);
    if (this.transport.destroyed) queueMicrotask(() => this.transportClose());
    else this.transport.resume();
  }

  // ---------------------------------------------------------------- the transport's events

  /** @internal */
  transportData(chunk: Buffer): void {
    this.liveness?.bytesArrived();
    const inbox = this.inbox;
    const writer = this.writer;
    // What this input makes us write (pongs, a close frame, a `forEachMessage()` handler's
    // answers) is flushed once at the end, in this same call.
    writer.inputTurn = 1;
    try {
      const memory = chunk.buffer;
      inbox.readChunk = memory;
      try {
        this.core.receive(chunk, memory);
      } finally {
        inbox.readChunk = null;
      }
      this.sendAfterInput();
      // Not inside the parse, nor in a call of the application's: `forEachMessage()` handlers may run here.
      if (inbox.hungry) inbox.serviceInput();
      else inbox.updateFlow();
    } finally {
      writer.endInput();
    }
  }

  /** After the core took input (or failed): send what it queued, let reads have what came. */
  protected override afterInput(): void {
    this.sendAfterInput();
    if (this.inbox.hungry) this.inbox.service();
    else this.inbox.updateFlow();
  }

  private sendAfterInput(): void {
    // §7.1.7: a failure's close frame waits until what arrived before the bad frame was read.
    if (this.lifecycle.failureClosePending && !this.inbox.hasUndelivered) this.lifecycle.sendFailureClose();
    this.sendQueuedFrames();
  }

  /** @internal The peer ended its side. */
  transportEnd(): void {
    this.lifecycle.transportEnded();
    this.inbox.service();
  }

  /** @internal */
  transportError(err: Error): void {
    this.lifecycle.transportError(err);
  }

  /** @internal */
  transportDrain(): void {
    this.writer.onDrain();
    // Reading may have paused while our output backed up (a peer that pings and does not read).
    this.inbox.updateFlow();
  }

  /** @internal The transport has closed: everything waiting settles, zlib is freed, listeners hear how it ended. */
  transportClose(): void {
    if (this.lifecycle.closeInfo !== null) return;
    const info = this.lifecycle.transportClosed();
    const lifecycle = this.lifecycle;
    this.writer.finish(() => lifecycle.writeError() ?? abnormalClosure('connection closed'));
    this.pingTracker?.rejectAll(() => lifecycle.readError() ?? abnormalClosure('connection closed'));
    this.liveness?.stop();
    this.inbox.finish();
    const listeners = this.closeListeners;
    this.closeListeners = null;
    if (typeof listeners === 'function') listeners(info, this.owner);
    else if (listeners !== null) for (const listener of listeners) listener(info, this.owner);
  }

  // ---------------------------------------------------------------- ConnectionEvents

  /** @internal */
  onMessageStart(opcode: DataOpcode, compressed: boolean): void {
    this.liveness?.messageStarted();
    this.inbox.onMessageStart(opcode, compressed);
  }

  /** @internal */
  onMessageData(data: Buffer): void {
    this.inbox.onMessageData(data);
  }

  /** @internal */
  onMessageEnd(): void {
    this.inbox.onMessageEnd();
  }

  /** @internal */
  onPing(data: Buffer): void {
    this.callHandler(this.pingHandler, data);
  }

  /** @internal */
  onPong(data: Buffer): void {
    this.pingTracker?.pong(data);
    this.callHandler(this.pongHandler, data);
  }

  /** Runs the application's ping or pong handler; one that throws closes the connection with 1011. */
  private callHandler(handler: ((data: Buffer) => void) | null, data: Buffer): void {
    if (handler === null) return;
    try {
      handler(data);
    } catch (err) {
      this.failFromHandler(err);
    }
  }

  /** @internal The peer's close frame: the application's handler hears it first (the core echoes it after). */
  onClose(code: number, reason: string): void {
    const handler = this.closeHandler;
    if (handler === null) return;
    try {
      handler(code, reason);
    } catch {
      // The closing handshake goes on regardless: the echo still answers the peer.
    }
  }

  /** @internal The peer broke a rule: the lifecycle has it; reads learn it as they end. */
  onError(error: ProtocolError): void {
    void error;
  }
}

/** Transport listeners shared by every connection: each finds its driver on the transport. */
const kDriver = Symbol('rfc6455.driver');
type DriverTransport = Duplex & { [kDriver]?: Driver };

function onTransportData(this: DriverTransport, chunk: Buffer): void {
  this[kDriver]!.transportData(chunk);
}

function onTransportEnd(this: DriverTransport): void {
  this[kDriver]!.transportEnd();
}

function onTransportError(this: DriverTransport, err: Error): void {
  this[kDriver]!.transportError(err);
}

function onTransportClose(this: DriverTransport): void {
  this[kDriver]!.transportClose();
}

function onTransportDrain(this: DriverTransport): void {
  this[kDriver]!.transportDrain();
}
