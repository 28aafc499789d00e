/**
 * How a connection ends: why ({@link EndCause}, the first cause wins) and how it ended
 * ({@link CloseInfo}), with the error that stands for each cause.
 */
import { CloseAbnormalClosure } from './close.js';
import { CloseError, type ProtocolError } from './errors.js';

/** Why the connection is ending: the first cause wins, and reads end with it. */
export type EndCause =
  /** The peer's close frame (§5.5.1). */
  | {
      /** Which cause. */
      readonly kind: 'peer-close';
      /** The code of the peer's close frame (1005 when it had none). */
      readonly code: number;
      /** The reason of the peer's close frame. */
      readonly reason: string;
    }
  /** The peer broke a rule and we failed the connection (§7.1.7). */
  | {
      /** Which cause. */
      readonly kind: 'failure';
      /** The rule broken, with the close code we answered. */
      readonly error: ProtocolError;
    }
  /**
   * A decision made here: `closeNow()`, a timeout, a handler that threw. `quiet`: an ordinary
   * ending (iteration just ends) rather than an error of the application's.
   */
  | {
      /** Which cause. */
      readonly kind: 'local';
      /** The error reads end with (made on demand when a function). */
      readonly error: Error | (() => Error);
      /** An ordinary ending rather than an error of the application's. */
      readonly quiet: boolean;
    }
  /** The transport ended or broke without a closing handshake (1006, §7.1.5). */
  | {
      /** Which cause. */
      readonly kind: 'transport';
      /** What happened to the transport, in words. */
      readonly reason: string;
      /** The transport's error, if it broke. */
      readonly cause?: unknown;
    };

/** How a connection ended. */
export interface CloseInfo {
  /** The code of the peer's close frame; 1005 if it had none, 1006 if none came. */
  code: number;
  /** The reason of the peer's close frame ('' when it gave none). */
  reason: string;
  /** Both close frames were exchanged before the transport closed. */
  wasClean: boolean;
  /** What went wrong when the ending was not clean: a `ProtocolError`, a timeout, a 1006 `CloseError`. Null when clean. */
  error: Error | null;
}

/** The error that stands for `cause` (built on demand: most are never looked at). */
export function errorOfCause(cause: EndCause): Error {
  switch (cause.kind) {
    case 'peer-close':
      return new CloseError(cause.code, cause.reason);
    case 'failure':
      return cause.error;
    case 'local':
      return typeof cause.error === 'function' ? cause.error() : cause.error;
    case 'transport': {
      const err = new CloseError(CloseAbnormalClosure, cause.reason);
      if (cause.cause !== undefined) (err as { cause?: unknown }).cause = cause.cause;
      return err;
    }
  }
}
