/**
 * Typed errors raised by the protocol core. Each one says what went wrong and carries
 * what the endpoint must answer: a close code (RFC 6455 §7.4.1) for framing errors,
 * an HTTP status for handshake errors.
 */
import { Buffer } from 'node:buffer';
import { HttpHeaders } from './headers.js';

/** Base class of every error this library throws on purpose. */
export class WebSocketError extends Error {
  /** The class's name, as in every subclass: `'ProtocolError'`, `'CloseError'`, ... */
  override name = 'WebSocketError';
}

/**
 * The peer broke a rule of RFC 6455 (or RFC 7692), or exceeded a limit. The connection is
 * failed (§7.1.7) with a close frame carrying {@link ProtocolError.closeCode}.
 *
 * @example
 * ```ts
 * try { await conn.readMessage(); }
 * catch (err) { if (err instanceof ProtocolError) console.log(err.closeCode); }
 * ```
 */
export class ProtocolError extends WebSocketError {
  /** Always `'ProtocolError'`. */
  override name = 'ProtocolError';
  /** The close code sent to the peer: 1002, 1007, 1008, 1009, 1010 or 1011. */
  readonly closeCode: number;

  constructor(closeCode: number, message: string) {
    super(message);
    this.closeCode = closeCode;
  }
}

/**
 * The opening handshake failed on the server side. {@link HandshakeError.status} is the HTTP
 * status answered to the client, {@link HandshakeError.headers} any extra response headers
 * the RFC asks for (for example `Sec-WebSocket-Version: 13` with 426, §4.4).
 */
export class HandshakeError extends WebSocketError {
  /** Always `'HandshakeError'` (or a subclass's name). */
  override name = 'HandshakeError';
  /** The HTTP status answered: 400, 403, 404, 405, 408, 414, 426, 431, 500. */
  readonly status: number;
  /** Headers the RFC asks for with this status, such as `Sec-WebSocket-Version: 13` with 426 (§4.4). */
  readonly headers: ReadonlyArray<readonly [string, string]>;

  constructor(status: number, message: string, headers: ReadonlyArray<readonly [string, string]> = []) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

/**
 * The peer sent a close frame (or the connection ended without one, code 1006).
 * Mirrors gorilla's `CloseError`: `code` and `text` are what the peer sent.
 */
export class CloseError extends WebSocketError {
  /** Always `'CloseError'` (or a subclass's name). */
  override name = 'CloseError';
  /**
   * The close code (§7.4): what the peer sent, 1005 if its close frame had none, 1006 if the
   * connection ended without one.
   */
  readonly code: number;
  /** The close reason the peer sent ('' when none), or why the connection ended abnormally. */
  readonly text: string;

  constructor(code: number, text: string) {
    super(text === '' ? `websocket: close ${code}` : `websocket: close ${code}: ${text}`);
    this.code = code;
    this.text = text;
  }
}

/** A header name or value given by the caller cannot be sent (a CR, LF or other control byte). */
export class InvalidHeaderError extends WebSocketError {
  /** Always `'InvalidHeaderError'`. */
  override name = 'InvalidHeaderError';
}

/**
 * The server's answer to the opening handshake was not a valid WebSocket upgrade (gorilla's
 * `ErrBadHandshake`, together with the response). `status` is 0 when no response head was read.
 */
export class BadHandshakeError extends WebSocketError {
  /** Always `'BadHandshakeError'`. */
  override name = 'BadHandshakeError';
  /** The status the server answered; 0 when no response head was read. */
  readonly status: number;
  /** The server's response headers (empty when none were read). */
  readonly headers: HttpHeaders;
  /** The first bytes of the response body, when the server sent one. */
  readonly body: Buffer;

  constructor(message: string, status = 0, headers: HttpHeaders = new HttpHeaders(), body: Buffer = Buffer.alloc(0)) {
    super(message);
    this.status = status;
    this.headers = headers;
    this.body = body;
  }
}

/**
 * A write after our close frame was sent (gorilla's `ErrCloseSent`). When the connection was
 * closed for a reason other than the application's own `close()`, the message says which.
 */
export class CloseSentError extends WebSocketError {
  /** Always `'CloseSentError'`. */
  override name = 'CloseSentError';
  constructor(why = '') {
    super(why === '' ? 'websocket: close sent' : `websocket: close sent: ${why}`);
  }
}
