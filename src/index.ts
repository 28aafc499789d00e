/**
 * rfc6455: WebSocket (RFC 6455, RFC 7692) for Node.js with zero runtime dependencies, with an API
 * modeled on gorilla/websocket. The sans-I/O protocol core is also available as `rfc6455/protocol`.
 */
export { Conn } from './connection/conn.js';
export type { CloseInfo, ControlOptions, SocketAddress, TransportKind, WriteOptions } from './connection/conn.js';
export { CONN_DEFAULTS, DEFLATE_DEFAULTS } from './options.js';
export type { ConnLimits, PerMessageDeflateOptions } from './options.js';
export type { DeflateParams, DeflateNegotiationOptions } from './protocol/deflate-negotiation.js';
export { MessageReader } from './connection/message-reader.js';
export type { ReadOptions } from './connection/message-reader.js';
export { MessageWriter } from './connection/message-writer.js';
export { PreparedMessage } from './connection/prepared-message.js';
export { Upgrader, PendingUpgrade, DEFAULT_HANDSHAKE_TIMEOUT, isWebSocketUpgrade, subprotocols } from './server/upgrader.js';
export type { HandleUpgradeOptions, HandshakeFailure, HeadersInit, HttpErrorResponse, UpgradeRequest, UpgraderOptions } from './server/upgrader.js';
export { PendingStreamUpgrade, acceptStream, readStreamRequest, refuseStream } from './server/http2.js';
export { isWebSocketConnect } from './protocol/h2-handshake.js';
export { serve, WebSocketServer } from './server/serve.js';
export type { ServeOptions } from './server/serve.js';
export type { ConnHandler, RequestSummary, ServerErrorHandler } from './server/run-handler.js';
export { ListenError } from './server/listen-error.js';
export { Dialer, DEFAULT_DIAL_TIMEOUT, DEFAULT_MAX_REDIRECTS } from './client/dialer.js';
export type { DialOptions, DialResponse, DialResult, DialerOptions } from './client/dialer.js';
export { DialError, DialTimeoutError, Http2UnsupportedError, InvalidUrlError, ProxyConnectError } from './client/dial-errors.js';
export type { Http2Mode } from './client/dial-http2.js';
export type { DialStage } from './client/dial-errors.js';
export { HANDSHAKE_BODY_LIMIT } from './client/dial-body.js';
export { proxyFromEnvironment } from './client/proxy.js';
export type { ProxyOption, ProxyResolver } from './client/proxy.js';
export { TextMessage, BinaryMessage, CloseMessage, PingMessage, PongMessage } from './connection/message.js';
export type { ControlMessageType, DataMessageType, Message, MessageData } from './connection/message.js';
export type { MessageHandler } from './connection/waiting-reads.js';
export {
  DeadlineExceededError,
  IdleTimeoutError,
  KeepaliveTimeoutError,
  ReadConflictError,
  ReaderSupersededError,
  formatCloseMessage,
  isCloseError,
  isUnexpectedCloseError,
} from './errors.js';
export {
  BadHandshakeError,
  CloseError,
  CloseSentError,
  HandshakeError,
  InvalidHeaderError,
  ProtocolError,
  WebSocketError,
} from './protocol/errors.js';
export { HttpHeaders } from './protocol/headers.js';
export {
  CloseNormalClosure,
  CloseGoingAway,
  CloseProtocolError,
  CloseUnsupportedData,
  CloseNoStatusReceived,
  CloseAbnormalClosure,
  CloseInvalidFramePayloadData,
  ClosePolicyViolation,
  CloseMessageTooBig,
  CloseMandatoryExtension,
  CloseInternalServerErr,
  CloseServiceRestart,
  CloseTryAgainLater,
  CloseBadGateway,
  CloseTLSHandshake,
} from './protocol/close.js';
export { Hub } from './hub/hub.js';
export type { HubOptions, HubStats, PublishOptions, SubscribeOptions, SubscribeResult } from './hub/hub-options.js';
export { SLOW_SUBSCRIBER_DEFAULTS } from './hub/subscriber.js';
export type { SlowSubscriberLimits, SlowSubscriberPolicy } from './hub/subscriber.js';
export type { Backplane, BackplaneReceiver, TopicHistory } from './hub/backplane.js';
export { compareMessageIds, isMessageId } from './hub/topic-message.js';
export type { TopicMessage } from './hub/topic-message.js';
