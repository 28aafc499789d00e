/**
 * What every server entry point promises about a connection handler, written once for `serve()`
 * and `Upgrader.handleUpgrade()`: when the handler returns, the connection is closed with 1000
 * (after what it wrote); when it throws, with 1011, and the error is reported; a peer that goes
 * away is not an error, and nothing escapes as an unhandled rejection.
 */
import type { Conn } from '../connection/conn.js';
import { CloseInternalServerErr, CloseNormalClosure } from '../protocol/close.js';
import { CloseError, HandshakeError, ProtocolError, WebSocketError } from '../protocol/errors.js';
import type { UpgradeRequest } from './upgrade-request.js';

/**
 * A connection handler, for {@link serve} and `Upgrader.handleUpgrade`: called with each new
 * connection and the request that opened it. When it returns (or its promise resolves), the
 * connection is closed with 1000 once what it wrote has gone out; when it throws (or rejects),
 * the error goes to `onError` and the connection is closed with 1011.
 */
export type ConnHandler = (conn: Conn, request: UpgradeRequest) => void | Promise<void>;

/** What `onError` learns of the request behind a failed handler (not the whole request, which is not kept). */
export type RequestSummary = Pick<UpgradeRequest, 'method' | 'url' | 'remoteAddress'>;

/**
 * Receives what a server did not expect: errors a handler threw (not a peer going away) and,
 * when the caller asked for them, failed handshakes.
 */
export type ServerErrorHandler = (err: unknown, request?: RequestSummary) => void;

/**
 * Whether `err` only says that the peer went away or misbehaved, which the connection has already
 * dealt with: a close from the peer with any code, a dropped TCP connection (1006), a protocol
 * violation the connection answered (§7.1.7), or a library error raised because the connection
 * was already closing. None of these is a fault of the handler.
 */
export function isDisconnect(err: unknown, conn: Conn): boolean {
  if (err instanceof CloseError || err instanceof ProtocolError) return true;
  return err instanceof WebSocketError && conn.state !== 'open';
}

/**
 * The default `onError`: one line on stderr for what is unexpected, without a stack (the
 * message says what failed; a stack through the library's internals rarely says more).
 * Failed handshakes are a fact of life on the internet and are not printed.
 */
export function printServerError(err: unknown, request?: RequestSummary): void {
  if (err instanceof HandshakeError) return;
  const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  const where = request === undefined ? '' : ` (${request.method} ${request.url} from ${request.remoteAddress ?? 'unknown address'})`;
  console.error(`rfc6455: connection handler failed${where}: ${what}`);
}

/**
 * Runs `handler` on `conn` with the guarantees above. The returned promise settles once the
 * handler is done and the connection closed; it never rejects.
 */
export function runHandler(conn: Conn, request: UpgradeRequest, handler: ConnHandler, onError: ServerErrorHandler): Promise<void> {
  // Only what the report needs is kept, not the request and its headers (nor an object for it:
  // this lives as long as the connection). The address is read only for a report.
  const { method, url } = request;
  let handled: Promise<void>;
  try {
    handled = Promise.resolve(handler(conn, request));
  } catch (err) {
    handled = Promise.reject(err);
  }
  // Promise chains rather than an async function, which would keep its frame alive for as long as
  // the connection lasts.
  return handled.then(
    () => closeQuietly(conn, CloseNormalClosure, ''),
    (err: unknown) => {
      if (!isDisconnect(err, conn)) reportSafely(onError, err, { method, url, remoteAddress: conn.remoteAddress?.address });
      return closeQuietly(conn, CloseInternalServerErr, 'internal error');
    },
  );
}

/** Closes with a handshake (a no-op when one is under way), dropping TCP if that cannot be done. */
function closeQuietly(conn: Conn, code: number, reason: string): Promise<void> {
  return conn.close(code, reason).catch(() => conn.closeNow());
}

/** An `onError` that throws must not become an unhandled rejection either. */
export function reportSafely(onError: ServerErrorHandler, err: unknown, request?: RequestSummary): void {
  try {
    onError(err, request);
  } catch (failure) {
    printServerError(failure);
  }
}
