/**
 * Errors of the client side that happen before there is a WebSocket: a URL that cannot be dialed,
 * a network or TLS failure, a proxy that refuses the tunnel, a handshake that takes too long.
 * A server that answers but refuses the upgrade is a `BadHandshakeError` instead (it carries the
 * response).
 */
import { HttpHeaders } from '../protocol/headers.js';
import { WebSocketError } from '../protocol/errors.js';

/** The part of a dial that was under way: each can fail or time out on its own. */
export type DialStage = 'tcp' | 'proxy' | 'tls' | 'handshake';

/** A URL given to `dial()`, found in a redirect, or given as a proxy, cannot be used. */
export class InvalidUrlError extends WebSocketError {
  /** Always `'InvalidUrlError'`. */
  override name = 'InvalidUrlError';
}

/**
 * The connection could not be opened: DNS, TCP, TLS (a certificate that does not verify, for
 * example) or the proxy's TCP connection. `cause` is the Node error; `code` is its code
 * (`ECONNREFUSED`, `ENOTFOUND`, `DEPTH_ZERO_SELF_SIGNED_CERT`, ...), when it has one.
 */
export class DialError extends WebSocketError {
  /** Always `'DialError'` (subclasses have their own). */
  override name = 'DialError';
  /** The stage that failed: `'tcp'`, `'proxy'`, `'tls'` or `'handshake'`. */
  readonly stage: DialStage;
  /** The Node error code of the cause (`ECONNREFUSED`, `ENOTFOUND`, ...), when it has one. */
  readonly code: string | undefined;

  constructor(stage: DialStage, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.stage = stage;
    const code = (cause as { code?: unknown } | undefined)?.code;
    this.code = typeof code === 'string' ? code : undefined;
  }
}

/** The dial did not complete within `handshakeTimeout`; `stage` says where it was. */
export class DialTimeoutError extends DialError {
  /** Always `'DialTimeoutError'`. */
  override name = 'DialTimeoutError';

  constructor(stage: DialStage, timeout: number) {
    super(stage, `websocket: dial timed out after ${timeout} ms (during ${stage})`);
  }
}

/** The HTTP proxy answered the CONNECT request with something other than 2xx (407: credentials). */
export class ProxyConnectError extends DialError {
  /** Always `'ProxyConnectError'`. */
  override name = 'ProxyConnectError';
  /** The proxy's HTTP status (407: it wants credentials), or 0 when it sent no valid response. */
  readonly status: number;
  /** The proxy's response headers (`Proxy-Authenticate`, ...). */
  readonly headers: HttpHeaders;

  constructor(message: string, status = 0, headers: HttpHeaders = new HttpHeaders()) {
    super('proxy', message);
    this.status = status;
    this.headers = headers;
  }
}
