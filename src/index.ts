/**
 * rfc6455: WebSocket (RFC 6455, RFC 7692) for Node.js with zero runtime dependencies.
 */
export * from './protocol/index.js';
