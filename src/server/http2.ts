/**
 * The server side of RFC 8441: accepting a WebSocket offered as an extended CONNECT stream of a
 * Node `http2` server, with the same options and checks as an HTTP/1.1 upgrade (origin,
 * subprotocols, permessage-deflate, version), the refusals with their statuses, and 200 on success.
 *
 * The `http2` server must advertise the extended CONNECT (RFC 8441 §3):
 * `http2.createSecureServer({ settings: { enableConnectProtocol: true }, ... })`.
 */
import { type Http2Stream, type IncomingHttpHeaders, type ServerHttp2Stream, constants } from 'node:http2';
import { Conn } from '../connection/conn.js';
import { streamTransport } from '../connection-h2/stream-socket.js';
import type { NegotiatedDeflate } from '../options.js';
import { acceptDeflateOffer } from '../protocol/deflate-negotiation.js';
import { HandshakeError, InvalidHeaderError } from '../protocol/errors.js';
import { type ConnectRequestInfo, buildConnectRefusal, buildConnectResponse, validateConnectRequest } from '../protocol/h2-handshake.js';
import { STATUS_TEXT } from '../protocol/handshake.js';
import { type HeadersInit, headerEntries } from '../protocol/headers.js';
import { originAndSubprotocol, refusalFor } from './upgrade-request.js';
import type { UpgradeRequest, Upgrader } from './upgrader.js';

/** An extended CONNECT request checked against RFC 8441 §4-5, not answered yet. */
export class PendingStreamUpgrade {
  /** The request, as the application sees it (`transport: 'h2'`, `method: 'CONNECT'`). */
  readonly request: UpgradeRequest;
  /** @internal */
  readonly stream: ServerHttp2Stream;
  /** @internal */
  readonly info: ConnectRequestInfo;
  /** @internal */
  settled = false;

  /** @internal */
  constructor(stream: ServerHttp2Stream, request: UpgradeRequest, info: ConnectRequestInfo) {
    this.stream = stream;
    this.request = request;
    this.info = info;
  }
}

/**
 * Checks a stream's request headers (RFC 8441 §4, §5; RFC 6455 §4.2.1 for the version and
 * headers). On failure it answers with the HTTP error and throws a `HandshakeError`.
 */
export function readStreamRequest(upgrader: Upgrader, stream: ServerHttp2Stream, headers: IncomingHttpHeaders): PendingStreamUpgrade {
  // Until a Conn owns the stream, a reset by the peer must not crash the process.
  stream.on('error', ignoreError);
  let info: ConnectRequestInfo;
  try {
    info = validateConnectRequest(headers);
  } catch (err) {
    const failure = err instanceof HandshakeError ? err : new HandshakeError(400, String(err));
    answerError(upgrader, stream, failure, undefined);
    throw failure;
  }
  const request: UpgradeRequest = {
    method: 'CONNECT',
    url: info.path,
    headers: info.headers,
    host: info.host,
    origin: info.origin,
    subprotocols: info.subprotocols,
    remoteAddress: stream.session?.socket.remoteAddress,
    transport: 'h2',
  };
  return new PendingStreamUpgrade(stream, request, info);
}

/**
 * Answers a pending stream with 200 and returns the connection, after the origin check,
 * subprotocol selection and permessage-deflate negotiation, as `Upgrader.accept` does over
 * HTTP/1.1. On failure it answers with an HTTP error and throws.
 */
export function acceptStream(upgrader: Upgrader, pending: PendingStreamUpgrade, responseHeaders?: HeadersInit): Conn {
  if (pending.settled) throw new Error('websocket: this upgrade was already accepted or refused');
  pending.settled = true;
  const { stream, info, request } = pending;
  const options = upgrader.options;
  try {
    const { subprotocol, extra } = originAndSubprotocol(options, request, info.subprotocols, responseHeaders);
    const deflateOptions = upgrader.deflate;
    const agreed = deflateOptions === null ? null : acceptDeflateOffer(info.extensions, deflateOptions);
    const deflate: NegotiatedDeflate | null = agreed === null ? null : { params: agreed.params, options: deflateOptions! };
    const response = buildConnectResponse({ key: info.key, subprotocol, extensions: agreed === null ? [] : [agreed.response], headers: extra });
    if (stream.destroyed || stream.closed) throw new HandshakeError(400, 'the stream closed during the handshake');
    stream.respond(response);
    stream.off('error', ignoreError);
    return new Conn({ role: 'server', ...streamTransport(stream), deflate, subprotocol, limits: upgrader.limits });
  } catch (err) {
    const failure = err instanceof HandshakeError ? err : new HandshakeError(500, err instanceof Error ? err.message : String(err));
    answerError(upgrader, stream, failure, request);
    throw err instanceof InvalidHeaderError ? err : failure;
  }
}

/** Refuses a pending stream with an HTTP error (through the upgrader's `error` option, if set). */
export function refuseStream(
  upgrader: Upgrader,
  pending: PendingStreamUpgrade,
  status: number,
  message = STATUS_TEXT[status] ?? 'refused',
  headers: HeadersInit = [],
): void {
  if (pending.settled) throw new Error('websocket: this upgrade was already accepted or refused');
  pending.settled = true;
  answerError(upgrader, pending.stream, new HandshakeError(status, message, headerEntries(headers)), pending.request);
}

/** `readStreamRequest` and `acceptStream` in one step. */
export function upgradeStream(upgrader: Upgrader, stream: ServerHttp2Stream, headers: IncomingHttpHeaders, responseHeaders?: HeadersInit): Promise<Conn> {
  try {
    return Promise.resolve(acceptStream(upgrader, readStreamRequest(upgrader, stream, headers), responseHeaders));
  } catch (err) {
    return Promise.reject(err);
  }
}


/**
 * Answers a refused stream with its status and a short body, then resets what is left of the
 * request with NO_ERROR (RFC 9113 §8.1: the answer is complete; the client need not send more).
 */
function answerError(upgrader: Upgrader, stream: Http2Stream, err: HandshakeError, request: UpgradeRequest | undefined): void {
  if (stream.destroyed || stream.closed || (stream as ServerHttp2Stream).headersSent) return;
  const { status, headers, body } = refusalFor(upgrader.options.error, err, request);
  let refusal: ReturnType<typeof buildConnectRefusal>;
  try {
    refusal = buildConnectRefusal(status, body, headers);
  } catch {
    refusal = buildConnectRefusal(status, err.message, err.headers);
  }
  (stream as ServerHttp2Stream).respond(refusal.headers);
  stream.end(refusal.body, () => {
    if (!stream.closed) stream.close(constants.NGHTTP2_NO_ERROR);
  });
}

function ignoreError(): void {}
