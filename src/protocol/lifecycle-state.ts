/**
 * The state half of a connection's lifecycle (RFC 6455 §7): where the connection is, why it ends,
 * and what reads and writes end with. The decisions of the closing handshake that move it are in
 * `lifecycle.ts`.
 */
import { type CloseInfo, type EndCause, errorOfCause } from './ending.js';
import { CloseSentError, type ProtocolError } from './errors.js';
import type { Role } from './core.js';
import type { FrameSender } from './frame-sender.js';
import type { LifecycleActions } from './lifecycle.js';

/** Where a connection is in its life. */
export type ConnectionState = 'open' | 'closing' | 'closed';

/** The receiving side as the lifecycle sees it. */
export interface InputControl {
  /** Stops processing input for good (§7.1.7: after the peer's close frame or a failure, nothing more is read). */
  stopReading(): void;
}

/** What the lifecycle is given: its settings, the frames out, the actions, and a way to stop input. */
export interface LifecycleParts {
  /** Which side this is: a server closes the transport first (§7.1.1). */
  role: Role;
  /** How long each step of the closing handshake may take, in ms. */
  closeTimeout: number;
  /** Hold a failure's close frame until {@link Lifecycle.sendFailureClose} or the `failureClose` timer. */
  deferFailureClose: boolean;
  /** Where close frames go, in order after what is already queued. */
  sender: FrameSender;
  /** The decisions the I/O layer carries out (end or drop the transport, timers). */
  actions: LifecycleActions;
  /** The receiving side, which the lifecycle stops (§7.1.7). */
  input: InputControl;
}

/**
 * What a {@link Lifecycle} knows and answers: its state, why the connection ends, what reads and
 * writes end with. The decisions that change it are the subclass's.
 */
export abstract class LifecycleState {
  // The parts, kept as fields rather than as the object they came in (one object fewer per connection).
  protected readonly role: Role;
  protected readonly closeTimeout: number;
  protected readonly deferFailureClose: boolean;
  protected readonly sender: FrameSender;
  protected readonly actions: LifecycleActions;
  protected readonly input: InputControl;
  protected _state: ConnectionState = 'open';
  protected cause: EndCause | null = null;
  protected causeError: Error | null = null;
  protected peerClose: { code: number; reason: string } | null = null;
  protected _failure: ProtocolError | null = null;
  /** A close was asked for (by the application or a decision here): no new message may start. */
  protected closeRequested = false;
  protected failureCloseDue = false;
  /** The transport was told to end or to drop. */
  protected transportEnding = false;
  protected info: CloseInfo | null = null;

  constructor(parts: LifecycleParts) {
    this.role = parts.role;
    this.closeTimeout = parts.closeTimeout;
    this.deferFailureClose = parts.deferFailureClose;
    this.sender = parts.sender;
    this.actions = parts.actions;
    this.input = parts.input;
  }

  /** Where the connection is in its life. */
  get state(): ConnectionState {
    return this._state;
  }

  /** Our close frame is queued: no more frames may be sent, and nobody may still be reading. */
  get closeSent(): boolean {
    return this.sender.closeSent;
  }

  /** The peer's close frame has been received. */
  get closeReceived(): boolean {
    return this.peerClose !== null;
  }

  /** The error that failed the connection, if the peer broke a rule. */
  get failure(): ProtocolError | null {
    return this._failure;
  }

  /** Both close frames were exchanged, or the connection failed and said so: the transport may go. */
  get isClosed(): boolean {
    return this.sender.closeSent && (this.peerClose !== null || this._failure !== null);
  }

  /** The failure's close frame waits for {@link Lifecycle.sendFailureClose}. */
  get failureClosePending(): boolean {
    return this.failureCloseDue;
  }

  /** Why the connection is ending, once it is: reads end with it. */
  get endCause(): EndCause | null {
    return this.cause;
  }

  /** The error reads end with once everything received has been read; null while open. */
  readError(): Error | null {
    if (this.cause === null) return null;
    this.causeError ??= errorOfCause(this.cause);
    return this.causeError;
  }

  /** An ordinary ending (peer closed, timeouts, 1006, a failure already answered): iteration ends without an error. */
  get endsQuietly(): boolean {
    return this.cause !== null && (this.cause.kind !== 'local' || this.cause.quiet);
  }

  /** How the connection ended, once the transport has closed; null before. */
  get closeInfo(): CloseInfo | null {
    return this.info;
  }

  /** What a new write fails with, saying why the connection no longer takes messages; null while it does. */
  writeError(): Error | null {
    // A failure's close frame may still wait (deferFailureClose): until it goes, the application
    // may answer what arrived before the bad frame.
    if (!this.closeRequested && !this.transportEnding && this._state !== 'closed' && !this.sender.closeSent) return null;
    const cause = this.cause;
    if (cause === null) return new CloseSentError();
    if (cause.kind === 'failure') return new CloseSentError(`the connection failed with ${cause.error.closeCode}: ${cause.error.message}`);
    if (cause.kind === 'peer-close') {
      return new CloseSentError(`the peer closed the connection with ${cause.code}${cause.reason === '' ? '' : ` (${cause.reason})`}`);
    }
    return this.readError();
  }

  /** The first cause of the ending is the one kept. */
  protected setCause(cause: EndCause): void {
    this.cause ??= cause;
  }
}

