/**
 * A connection's lifecycle (RFC 6455 §7), as one state machine: its state, the one cause of its
 * ending, and every decision of the closing handshake (who closes the transport first, when to
 * fail, when to give up waiting). Decisions come out as {@link LifecycleActions} for the I/O
 * layer to carry out; the I/O layer reports back what its transport did, and keeps no state of
 * its own about where the connection is in its life. The state itself, and what it answers (why
 * reads end, why writes are refused), is the base class's: {@link LifecycleState}.
 *
 * ```
 *   open ──close() / the peer's close frame / a failure──▶ closing ──transport closed──▶ closed
 *     └────────────────────── transport closed (1006) ──────────────────────────────────▲
 * ```
 * (`connecting`, the opening handshake, comes before: `server-handshake.ts`, `client-handshake.ts`.)
 */
import { Buffer } from 'node:buffer';
import { CloseAbnormalClosure, CloseNoStatusReceived, decodeClosePayload, encodeClosePayload, truncateCloseReason } from './close.js';
import type { CloseInfo } from './ending.js';
import type { ProtocolError } from './errors.js';
import { LifecycleState } from './lifecycle-state.js';

/** The timers of the closing handshake; the core starts and stops them through {@link LifecycleActions}. */
export type LifecycleTimer =
  /** Our close frame is out (or waits for earlier writes): the peer has this long to answer. */
  | 'closeHandshake'
  /** The connection failed; its close frame waits for the application to read what came before. */
  | 'failureClose'
  /** The transport was told to end: if it has not closed by then, it is dropped. */
  | 'transportClose';

/** What the lifecycle asks of the I/O layer. Called synchronously from inside core methods. */
export interface LifecycleActions {
  /** Write what is queued, then end our side of the transport (TCP FIN, HTTP/2 END_STREAM). */
  endTransport(): void;
  /** Drop the transport now (TCP destroy, HTTP/2 RST_STREAM CANCEL); queued output goes first, best effort. */
  abortTransport(): void;
  /** Starts (or restarts) `timer`; when it fires, call `Lifecycle.timerFired(timer)`. */
  startTimer(timer: LifecycleTimer, ms: number): void;
  /** Stops `timer` if it runs. */
  stopTimer(timer: LifecycleTimer): void;
}

/** Actions that do nothing: for a core driven by hand (tests, tools) with no transport to act on. */
export const NO_ACTIONS: LifecycleActions = {
  endTransport() {},
  abortTransport() {},
  startTimer() {},
  stopTimer() {},
};

const TIMERS: readonly LifecycleTimer[] = ['closeHandshake', 'failureClose', 'transportClose'];
const EMPTY = Buffer.alloc(0);

/** One connection's lifecycle: its state, why it ends, and the closing handshake's decisions. */
export class Lifecycle extends LifecycleState {
  // ---------------------------------------------------------------- close frames

  /** The peer's close frame arrived (§5.5.1): nothing after it is read. */
  peerClosed(code: number, reason: string): void {
    this.peerClose = { code, reason };
    this.setCause({ kind: 'peer-close', code, reason });
    this.input.stopReading();
    if (this._state === 'open') this._state = 'closing';
  }

  /** §5.5.1: answer the peer's close frame, echoing its code, unless ours is out already. */
  answerPeerClose(code: number): void {
    if (!this.sender.closeSent) this.sender.close(code === CloseNoStatusReceived ? EMPTY : encodeClosePayload(code));
    this.afterCloseFrame();
  }

  /**
   * The closing handshake begins (§7.1.2): no new message may start, and the peer gets
   * `closeTimeout` to answer. The close frame itself may wait for writes made before it.
   */
  beginClose(): void {
    if (this._state === 'open') this._state = 'closing';
    if (this.closeRequested) return;
    this.closeRequested = true;
    if (!this.isClosed && this._state !== 'closed') this.actions.startTimer('closeHandshake', this.closeTimeout);
  }

  /** Sends a close frame built by the caller; false, sending nothing, when one was sent or the transport is gone. */
  closeWithPayload(payload: Uint8Array): boolean {
    if (this.sender.closeSent || this._state === 'closed') return false;
    if (payload.length > 0) decodeClosePayload(payload); // refuse what the peer would reject
    this.beginClose();
    this.sender.close(payload);
    this.afterCloseFrame();
    return true;
  }

  /** Ends reading with a cause decided here (idle timeout, a handler that threw) and closes with `code`. */
  closeFor(error: Error | (() => Error), quiet: boolean, code: number, reason: string): void {
    this.setCause({ kind: 'local', error, quiet });
    this.closeWithPayload(encodeClosePayload(code, truncateCloseReason(reason)));
  }

  /** §7.1.7: the peer broke a rule. The close frame goes now, or waits (`deferFailureClose`). */
  failed(error: ProtocolError): void {
    this._failure = error;
    this.setCause({ kind: 'failure', error });
    this.input.stopReading();
    if (this._state === 'open') this._state = 'closing';
    if (this.sender.closeSent) return this.afterCloseFrame(); // ours went out first: nothing left to say
    this.failureCloseDue = true;
    if (this.deferFailureClose) this.actions.startTimer('failureClose', this.closeTimeout);
    else this.sendFailureClose();
  }

  /** Sends the failure's close frame, held until what arrived before the bad frame was read. Returns whether it did. */
  sendFailureClose(): boolean {
    if (!this.failureCloseDue) return false;
    this.failureCloseDue = false;
    this.actions.stopTimer('failureClose');
    const error = this._failure!;
    if (this._state === 'closed' || this.sender.closeSent) return false;
    this.sender.closeWith(error.closeCode, truncateCloseReason(error.message));
    this.afterCloseFrame();
    return true;
  }

  /** Drops the connection for a reason decided here (`closeNow()`, a silent peer, a write deadline); `closeFrame` says why first, best effort. */
  abort(error: Error | (() => Error), quiet: boolean, closeFrame?: { code: number; reason: string }): void {
    this.setCause({ kind: 'local', error, quiet });
    this.input.stopReading();
    if (closeFrame !== undefined && !this.sender.closeSent && this._state !== 'closed') {
      this.sender.closeWith(closeFrame.code, closeFrame.reason);
    }
    this.dropTransport();
  }

  /** One of the timers the lifecycle started has fired. */
  timerFired(timer: LifecycleTimer): void {
    if (this._state === 'closed') return;
    if (timer === 'failureClose') return void this.sendFailureClose();
    // §7.1.1: the peer did not answer our close frame in time; it gets no more.
    if (timer === 'closeHandshake') this.setCause({ kind: 'transport', reason: 'close handshake timed out' });
    this.dropTransport();
  }

  // ---------------------------------------------------------------- the transport

  /** The peer ended its side of the transport (TCP FIN, END_STREAM): without its close frame, that is 1006. */
  transportEnded(): void {
    this.setCause({ kind: 'transport', reason: 'unexpected EOF' });
    if (this._state === 'open') this._state = 'closing';
    this.failureCloseDue = false;
    // Nothing more can come: end our side too (queued output first), and do not wait for ever.
    this.actions.endTransport();
    if (this.transportEnding) return;
    this.transportEnding = true;
    this.actions.startTimer('transportClose', this.closeTimeout);
  }

  /** The transport reported an error; it closes next. */
  transportError(error: Error): void {
    this.setCause({ kind: 'transport', reason: error.message, cause: error });
  }

  /** The transport has closed: the connection is over. Returns how it ended. */
  transportClosed(): CloseInfo {
    if (this.info !== null) return this.info;
    this._state = 'closed';
    this.setCause({ kind: 'transport', reason: 'connection closed' });
    this.input.stopReading();
    this.failureCloseDue = false;
    for (const timer of TIMERS) this.actions.stopTimer(timer);
    const wasClean = this.peerClose !== null && this.sender.closeSent;
    this.info = {
      code: this.peerClose?.code ?? CloseAbnormalClosure,
      reason: this.peerClose?.reason ?? '',
      wasClean,
      error: wasClean ? null : this.readError(),
    };
    return this.info;
  }

  /** A close frame was sent or received: wait for the other one, or let the transport go. */
  private afterCloseFrame(): void {
    if (!this.isClosed) {
      if (this.sender.closeSent) this.beginClose(); // ours is out: the peer has closeTimeout to answer
      return;
    }
    this.actions.stopTimer('closeHandshake');
    if (this.transportEnding || this._state === 'closed') return;
    this.transportEnding = true;
    // §7.1.1: the server closes the TCP connection first; a client waits for it (and drops it
    // after closeTimeout). §7.1.7: after a failure, either side closes it at once.
    if (this.role === 'server' || this._failure !== null) this.actions.endTransport();
    this.actions.startTimer('transportClose', this.closeTimeout);
  }

  private dropTransport(): void {
    if (this._state === 'open') this._state = 'closing';
    this.transportEnding = true;
    this.actions.abortTransport();
  }
}
