/**
 * The connection driver: runs one WebSocket connection over any Node `Duplex` (a `net.Socket`, a
 * `tls.TLSSocket`, an HTTP/2 stream). It feeds the transport's bytes to the core, carries out the
 * core's lifecycle actions (end or drop the transport, start or stop a timer), and reports back
 * what the transport did. It decides only how to do I/O; every decision about the connection's
 * life is the core's (`protocol/lifecycle.ts`).
 */
import type { Duplex } from 'node:stream';
import { KeepaliveTimeoutError, IdleTimeoutError } from '../errors.js';
import { CloseGoingAway, CloseInternalServerErr } from '../protocol/close.js';
import { ConnectionCore, type ConnectionEvents, type DataOpcode, type Role } from '../protocol/core.js';
import { type CloseInfo, abnormalClosure } from '../protocol/ending.js';
import type { ProtocolError } from '../protocol/errors.js';
import type { FrameSender } from '../protocol/frame-sender.js';
import type { Lifecycle, LifecycleActions, LifecycleTimer } from '../protocol/lifecycle.js';
import { Inbox, type InboxParts } from './inbox.js';
import { Liveness } from './liveness.js';
import { PingTracker } from './pings.js';
import type { Decompressor } from './permessage-deflate.js';
import { type WriteCompression, Writer, type WriterParts } from './writer.js';

/** What a driver is built from: the transport, and the settings of each part. */
export interface DriverSettings {
  role: Role;
  transport: Duplex;
  /** Drops the transport; default `destroy()` (an HTTP/2 stream passes a reset with CANCEL). */
  abortTransport?: () => void;
  readLimit: number;
  maxFragments: number;
  readBufferSize: number;
  writeBufferSize: number;
  writeHighWaterMark: number;
  closeTimeout: number;
  pingInterval: number;
  pongTimeout: number;
  idleTimeout: number;
  decompressor: Decompressor | null;
  compression: WriteCompression | null;
}

const noop = (): void => {};

export class Driver implements ConnectionEvents, LifecycleActions, InboxParts, WriterParts {
  readonly core: ConnectionCore;
  readonly lifecycle: Lifecycle;
  readonly inbox: Inbox;
  readonly writer: Writer;
  /** The application's ping, pong and close handlers (gorilla's `SetPingHandler` and friends). */
  pingHandler: ((data: Buffer) => void) | null = null;
  pongHandler: ((data: Buffer) => void) | null = null;
  closeHandler: ((code: number, text: string) => void) | null = null;
  readonly transport: Duplex;
  // What the inbox and the writer are given (InboxParts, WriterParts): the driver is their parts,
  // one object per connection instead of an object and a closure for each (idle connections count).
  readonly readBufferSize: number;
  readonly decompressor: Decompressor | null;
  readonly sender: FrameSender;
  readonly isServer: boolean;
  readonly writeBufferSize: number;
  readonly highWaterMark: number;
  readonly compression: WriteCompression | null;
  /** Made only when keepalive or the idle timeout is on. */
  private readonly liveness: Liveness | null;
  private pingTracker: PingTracker | null = null;
  private readonly abortFn: (() => void) | undefined;
  private timers: Partial<Record<LifecycleTimer, NodeJS.Timeout>> | null = null;
  private closeListeners: Array<(info: CloseInfo) => void> | null = null;

  constructor(s: DriverSettings) {
    this.transport = s.transport;
    this.abortFn = s.abortTransport;
    this.readBufferSize = s.readBufferSize;
    this.decompressor = s.decompressor;
    this.isServer = s.role === 'server';
    this.writeBufferSize = s.writeBufferSize;
    this.highWaterMark = s.writeHighWaterMark;
    this.compression = s.compression;
    // The driver is the core's event sink and its actions: one object, not a closure per callback.
    this.core = new ConnectionCore(
      {
        role: s.role,
        maxMessageSize: s.readLimit,
        maxFragments: s.maxFragments,
        writeBufferSize: s.writeBufferSize,
        compression: s.compression !== null,
        closeTimeout: s.closeTimeout,
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
    this.liveness = s.pingInterval > 0 || s.idleTimeout > 0 ? this.startLiveness(s) : null;
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

  private startLiveness(s: DriverSettings): Liveness {
    const { core, lifecycle } = this;
    return new Liveness({
      pingInterval: s.pingInterval,
      pongTimeout: s.pongTimeout,
      idleTimeout: s.idleTimeout,
      isOpen: () => lifecycle.state === 'open',
      holdingPeer: () => this.inbox.holdingPeer,
      sendPing: (payload) => {
        core.sender.ping(payload);
        this.afterOutput();
      },
      peerSilent: () => lifecycle.abort(() => new KeepaliveTimeoutError(), true, { code: CloseInternalServerErr, reason: 'keepalive timeout' }),
      idle: () => {
        lifecycle.closeFor(() => new IdleTimeoutError(), true, CloseGoingAway, 'idle timeout');
        this.afterOutput();
        this.inbox.service(); // a read waiting for the message that never came ends now
      },
    });
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

  /** @internal A compressed message turned out bad. */
  fail(error: ProtocolError): void {
    this.core.fail(error);
    this.afterInput();
  }

  /** @internal */
  onReadsExhausted(): void {
    if (this.lifecycle.sendFailureClose()) this.afterOutput();
  }

  /** @internal */
  writeError(): Error | null {
    return this.lifecycle.writeError();
  }

  /** @internal */
  onWriteDeadline(err: Error): void {
    this.lifecycle.abort(() => abnormalClosure('write deadline exceeded', err), true);
  }

  /** @internal */
  onWriteFailure(err: Error): void {
    this.lifecycle.abort(() => abnormalClosure(`write failed: ${err.message}`, err), true);
  }

  /** Starts reading: first the bytes that came with the handshake, if any. */
  start(head: Buffer | undefined): void {
    if (head !== undefined && head.length > 0) this.transportData(head);
    if (this.transport.destroyed) queueMicrotask(() => this.transportClose());
    else this.transport.resume();
  }

  /** Calls `listener` once the transport has closed (at once if it has). */
  onClosed(listener: (info: CloseInfo) => void): void {
    const info = this.lifecycle.closeInfo;
    if (info !== null) listener(info);
    else if (this.closeListeners === null) this.closeListeners = [listener]; // exact size: usually the only one
    else this.closeListeners.push(listener);
  }

  /** After frames were queued outside a read (a close frame, a ping): send them, follow the state. */
  afterOutput(): void {
    this.sendQueuedFrames();
    this.inbox.updateFlow();
  }

  /**
   * Sends what the core queued outside a message write (pongs, close frames); once our close frame
   * is out, writes still waiting for their turn fail, saying why.
   */
  private sendQueuedFrames(): void {
    if (this.core.pendingOutputBytes > 0) this.writer.afterControl().catch(noop);
    if (this.core.closeSent) this.writer.stopQueued();
  }

  /** A handler threw: that ends reading with its error, and the connection closes with 1011. */
  failFromHandler(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.lifecycle.closeFor(error, false, CloseInternalServerErr, error.message);
    this.afterOutput();
  }

  // ---------------------------------------------------------------- the transport's events

  /** @internal */
  transportData(chunk: Buffer): void {
    this.liveness?.bytesArrived();
    this.core.receive(chunk);
    this.afterInput();
  }

  /** After the core took input (or failed): send what it queued, let reads have what came. */
  private afterInput(): void {
    // §7.1.7: a failure's close frame waits until what arrived before the bad frame was read.
    if (this.lifecycle.failureClosePending && !this.inbox.hasUndelivered) this.lifecycle.sendFailureClose();
    this.sendQueuedFrames();
    if (this.inbox.hungry) this.inbox.service();
    else this.inbox.updateFlow();
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
    if (listeners !== null) for (const listener of listeners) listener(info);
  }



  // ---------------------------------------------------------------- LifecycleActions

  /** @internal */
  endTransport(): void {
    this.writer.flush();
    if (!this.transport.writableEnded) this.transport.end();
  }

  /** @internal */
  abortTransport(): void {
    this.writer.flush(); // a close frame saying why goes out if the transport takes it now
    if (this.abortFn !== undefined) this.abortFn();
    else this.transport.destroy();
  }

  /** @internal */
  startTimer(timer: LifecycleTimer, ms: number): void {
    this.stopTimer(timer);
    const handle = setTimeout(() => {
      delete this.timers![timer];
      this.lifecycle.timerFired(timer);
      this.afterOutput();
    }, ms);
    // The closing handshake keeps the process alive (close() resolves after it); the rest do not.
    if (timer !== 'closeHandshake') handle.unref();
    (this.timers ??= {})[timer] = handle;
  }

  /** @internal */
  stopTimer(timer: LifecycleTimer): void {
    const handle = this.timers?.[timer];
    if (handle === undefined) return;
    clearTimeout(handle);
    delete this.timers![timer];
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
