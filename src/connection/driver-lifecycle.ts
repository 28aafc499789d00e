/**
 * The driver's side of the lifecycle: the actions the lifecycle asks for, carried out on the
 * transport and with timers (`LifecycleActions`), and the decisions of policy that end in a call
 * to the lifecycle (keepalive and idle timeout, a write deadline or a failed write, a handler that
 * threw, a compressed message gone bad). The transport's and the core's events are `driver.ts`'s.
 */
import type { Duplex } from 'node:stream';
import { IdleTimeoutError, KeepaliveTimeoutError } from '../errors.js';
import { CloseGoingAway, CloseInternalServerErr } from '../protocol/close.js';
import type { ConnectionCore } from '../protocol/core.js';
import { type CloseInfo, abnormalClosure } from '../protocol/ending.js';
import type { ProtocolError } from '../protocol/errors.js';
import type { Lifecycle, LifecycleActions, LifecycleTimer } from '../protocol/lifecycle.js';
import type { DriverSettings } from './driver.js';
import type { Inbox } from './inbox.js';
import { Liveness } from './liveness.js';
import type { Writer } from './writer.js';

/** Told how the connection ended, and which connection (so one function can serve them all). */
export type CloseListener = (info: CloseInfo, owner: object) => void;

const noop = (): void => {};

/** The lifecycle's actions and the policy decisions that end in it; the connection's events are the subclass's. */
export abstract class DriverLifecycle implements LifecycleActions {
  readonly transport: Duplex;
  abstract readonly core: ConnectionCore;
  abstract readonly lifecycle: Lifecycle;
  abstract readonly inbox: Inbox;
  abstract readonly writer: Writer;
  /** Made only when keepalive or the idle timeout is on. */
  protected liveness: Liveness | null = null;
  private readonly abortFn: (() => void) | undefined;
  private timers: Partial<Record<LifecycleTimer, NodeJS.Timeout>> | null = null;
  /** One listener as itself (the usual case, no array), more in an array. */
  protected closeListeners: CloseListener | CloseListener[] | null = null;
  /** @internal The connection this drives, passed to close listeners (set by `Conn`). */
  owner: object = this;

  constructor(s: DriverSettings) {
    this.transport = s.transport;
    this.abortFn = s.abortTransport;
  }

  /** Keepalive and the idle timeout, when either is on: their verdicts are lifecycle decisions. */
  protected startLiveness(settings: DriverSettings): Liveness | null {
    const s = settings.limits;
    if (s.pingInterval <= 0 && s.idleTimeout <= 0) return null;
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

  /** Calls `listener` once the transport has closed (at once if it has). */
  onClosed(listener: CloseListener): void {
    const info = this.lifecycle.closeInfo;
    const listeners = this.closeListeners;
    if (info !== null) listener(info, this.owner);
    else if (listeners === null) this.closeListeners = listener;
    else if (typeof listeners === 'function') this.closeListeners = [listeners, listener];
    else listeners.push(listener);
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
  protected sendQueuedFrames(): void {
    if (this.core.pendingOutputBytes > 0) this.writer.afterControl().catch(noop);
    if (this.core.closeSent) this.writer.stopQueued();
  }

  /** A handler threw: that ends reading with its error, and the connection closes with 1011. */
  failFromHandler(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.lifecycle.closeFor(error, false, CloseInternalServerErr, error.message);
    this.afterOutput();
  }

  /** After the core took input (or failed): send what it queued, let reads have what came. */
  protected abstract afterInput(): void;

  // ---------------------------------------------------------------- InboxParts, WriterParts: their endings

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
}
