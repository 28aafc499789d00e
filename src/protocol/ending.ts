/**
 * How a connection ends: why ({@link EndCause}, the first cause wins) and how it ended
 * ({@link CloseInfo}), with the error that stands for each cause.
 */
import { CloseAbnormalClosure } from './close.js';
import { CloseError, type ProtocolError } from './errors.js';

/** Why the connection is ending: the first cause wins, and reads end with it. */
export type EndCause =
  /** The peer's close frame (§5.5.1). */
  | { readonly kind: 'peer-close'; readonly code: number; readonly reason: string }
  /** The peer broke a rule and we failed the connection (§7.1.7). */
  | { readonly kind: 'failure'; readonly error: ProtocolError }
  /**
   * A decision made here: `closeNow()`, a timeout, a handler that threw. `quiet`: an ordinary
   * ending (iteration just ends) rather than an error of the application's.
   */
  | { readonly kind: 'local'; readonly error: Error | (() => Error); readonly quiet: boolean }
  /** The transport ended or broke without a closing handshake (1006, §7.1.5). */
  | { readonly kind: 'transport'; readonly reason: string; readonly cause?: unknown };

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
