/**
 * Errors of the socket layer, and gorilla's helpers for close errors.
 */
import { CloseAbnormalClosure, CloseGoingAway, encodeClosePayload } from './protocol/close.js';
import { CloseError, WebSocketError } from './protocol/errors.js';

/** A read or write did not complete before the deadline set with `setReadDeadline` / `setWriteDeadline`. */
export class DeadlineExceededError extends WebSocketError {
  /** Always `'DeadlineExceededError'`. */
  override name = 'DeadlineExceededError';
  constructor(what: 'read' | 'write' | 'control') {
    super(`websocket: ${what} deadline exceeded`);
  }
}

/**
 * The keepalive gave up: no pong (or any other frame) came back within `pongTimeout`.
 * It is a close error with code 1006, since the connection ended without a close handshake.
 */
export class KeepaliveTimeoutError extends CloseError {
  /** Always `'KeepaliveTimeoutError'`. */
  override name = 'KeepaliveTimeoutError';
  constructor() {
    super(CloseAbnormalClosure, 'keepalive timeout: no answer to ping');
  }
}

/**
 * No data message arrived for `idleTimeout` ms, so the connection was closed with 1001. A close
 * error with that code, so `for await` ends quietly and `isCloseError(err, CloseGoingAway)` holds.
 */
export class IdleTimeoutError extends CloseError {
  override name = 'IdleTimeoutError';
  constructor() {
    super(CloseGoingAway, 'idle timeout');
  }
}

/** A message reader was abandoned because a later read moved on to the next message. */
export class ReaderSupersededError extends WebSocketError {
  /** Always `'ReaderSupersededError'`. */
  override name = 'ReaderSupersededError';
  constructor() {
    super('websocket: message reader superseded by a later read');
  }
}

/**
 * Two ways of reading met on one connection: a read (`readMessage()`, `nextReader()`, `for await`)
 * while `forEachMessage()` hands the messages to its handler, or `forEachMessage()` while a read
 * waits or another `forEachMessage()` runs. Nothing was read; the connection is unaffected.
 */
export class ReadConflictError extends WebSocketError {
  /** Always `'ReadConflictError'`. */
  override name = 'ReadConflictError';
  constructor(what: 'read' | 'forEachMessage') {
    super(
      what === 'read'
        ? 'websocket: forEachMessage() is consuming the messages of this connection'
        : 'websocket: forEachMessage() cannot start while another read waits on this connection',
    );
  }
}

/**
 * Whether `err` is a {@link CloseError} with one of `codes` (any code when none are given),
 * as gorilla's `IsCloseError`.
 */
export function isCloseError(err: unknown, ...codes: number[]): err is CloseError {
  return err instanceof CloseError && (codes.length === 0 || codes.includes(err.code));
}

/**
 * Whether `err` is a {@link CloseError} whose code is not one of `expectedCodes`, as gorilla's
 * `IsUnexpectedCloseError`. Typical use: `isUnexpectedCloseError(err, CloseGoingAway, CloseNormalClosure)`.
 */
export function isUnexpectedCloseError(err: unknown, ...expectedCodes: number[]): err is CloseError {
  return err instanceof CloseError && !expectedCodes.includes(err.code);
}

/** A close frame payload for `writeControl(CloseMessage, ...)`, as gorilla's `FormatCloseMessage`. */
export function formatCloseMessage(code: number, text = ''): Buffer {
  return encodeClosePayload(code, text);
}
