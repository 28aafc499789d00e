/**
 * The sans-I/O protocol core: pure functions and state machines with no sockets and no timers.
 * Import it as `rfc6455/protocol` to build on the protocol itself or to study it.
 */
export * from './close.js';
export * from './errors.js';
export * from './frame.js';
export * from './mask.js';
export * from './mask-keys.js';
export * from './parser.js';
export * from './utf8.js';
export * from './slab.js';
export * from './outbox.js';
export * from './connection.js';
export * from './headers.js';
export * from './header-tokens.js';
export * from './http-head.js';
export * from './handshake.js';
export * from './server-handshake.js';
export * from './client-handshake.js';
export * from './deflate-negotiation.js';
export * from './h2-handshake.js';
