/**
 * permessage-deflate's zlib work (RFC 7692 §7.2): the compressor for what a connection sends
 * (compressor.ts) and the decompressor for what it receives (decompressor.ts).
 *
 * Each direction with context takeover keeps one raw DEFLATE stream per connection (created on
 * first use, so an idle connection holds no zlib memory), and the stream's window carries over from
 * one message to the next. Without context takeover, a message borrows a stream from a shared pool
 * (zlib-pool.ts) and returns it reset, so memory grows with the messages in flight, not with the
 * connections.
 *
 * Where zlib runs: small messages on this thread, synchronously, on the direction's stream
 * (zlib-inline.ts: a trip through the thread pool costs far more than the work); large ones on
 * zlib's thread pool, so that a big message never blocks the event loop. The limits and why are
 * next to each side.
 */
export { CompressionClosedError, Compressor, type CompressorSettings } from './compressor.js';
export { Decompressor, type InflateJob, type InflateSink } from './decompressor.js';
