/**
 * The sans-I/O protocol core: pure functions and state machines with no sockets and no timers.
 * Import it as `rfc6455/protocol` to build on the protocol itself or to study it. What is here is
 * what a reader or an embedder needs; the connection layer's plumbing (write slabs, the outbox,
 * the process-wide mask-key source) stays inside.
 */
export * from './close.js';
export * from './errors.js';
export {
  Opcode,
  FIN,
  RSV1,
  RSV2,
  RSV3,
  MAX_CONTROL_PAYLOAD,
  MAX_HEADER_LENGTH,
  type FrameHeader,
  type FrameInit,
  isControlOpcode,
  isKnownOpcode,
  firstByte,
  headerLength,
  writeFrameHeader,
  encodeFrame,
} from './frame.js';
export { FrameSender } from './frame-sender.js';
export { applyMask } from './mask.js';
export { MaskKeySource } from './mask-keys.js';
export * from './parser.js';
export * from './utf8.js';
export * from './core.js';
export * from './frame-rules.js';
export * from './lifecycle.js';
export * from './lifecycle-state.js';
export * from './ending.js';
export * from './defaults.js';
export * from './deflate-codec.js';
export * from './headers.js';
export * from './header-tokens.js';
export * from './http-head.js';
export * from './handshake.js';
export * from './server-handshake.js';
export * from './client-handshake.js';
export * from './deflate-negotiation.js';
export * from './h2-handshake.js';
