/**
 * The limits, timings and compression settings of a connection, with their defaults. Both
 * `Upgrader` and `Dialer` take these.
 */
import type { DeflateNegotiationOptions, DeflateParams } from './protocol/deflate-negotiation.js';

export interface ConnLimits {
  /** Largest message accepted, in bytes (after inflation too); larger ones fail the connection with 1009. Default 16 MiB. */
  readLimit?: number;
  /** Most frames one message may span; more fail with 1009. Default 131,072. */
  maxFragments?: number;
  /**
   * Bytes of received messages held for the application before the connection stops reading
   * from the socket (TCP backpressure on the peer). Reading resumes as the application consumes.
   * Default 1 MiB.
   */
  readBufferSize?: number;
  /**
   * Frames up to this size are coalesced into batches of at most this many bytes, written with one
   * socket write per batch; larger messages are written straight from the caller's buffer.
   * Default 16 KiB.
   */
  writeBufferSize?: number;
  /** Writes wait (for the socket's `drain`) while more than this many bytes are queued in the socket. Default 64 KiB. */
  writeHighWaterMark?: number;
  /** How long `close()` waits for the peer's close frame, then for the TCP close. Default 5 s. */
  closeTimeout?: number;
  /** Send a ping after this many ms; 0 turns keepalive off (the default). */
  pingInterval?: number;
  /** With keepalive on: how long to wait for any frame after a ping before giving up. Default: `pingInterval`. */
  pongTimeout?: number;
}

export const CONN_DEFAULTS = {
  readLimit: 16 * 1024 * 1024,
  maxFragments: 128 * 1024,
  readBufferSize: 1024 * 1024,
  writeBufferSize: 16 * 1024,
  writeHighWaterMark: 64 * 1024,
  closeTimeout: 5000,
  pingInterval: 0,
} as const;

/**
 * permessage-deflate settings (RFC 7692): what to negotiate, plus how to compress.
 * Pass `enableCompression: true` for the defaults, or an object of these.
 */
export interface PerMessageDeflateOptions extends DeflateNegotiationOptions {
  /** zlib level for outgoing messages, -1 (zlib's default, 6) to 9. Default 1 (fast, as gorilla). */
  level?: number;
  /**
   * zlib memLevel, 1 to 9: the compressor keeps 2^(memLevel + 9) bytes of hash tables besides its
   * 2^(windowBits + 1) bytes of window. Default 8.
   */
  memLevel?: number;
  /** Messages smaller than this many bytes are sent uncompressed. Default 1024. */
  threshold?: number;
}

export const DEFLATE_DEFAULTS = { level: 1, memLevel: 8, threshold: 1024 } as const;

/** The options object behind `enableCompression`, or null when compression is off. */
export function deflateOptionsOf(enable: boolean | PerMessageDeflateOptions | undefined): PerMessageDeflateOptions | null {
  if (enable === undefined || enable === false) return null;
  const options = enable === true ? {} : enable;
  const level = options.level ?? DEFLATE_DEFAULTS.level;
  const memLevel = options.memLevel ?? DEFLATE_DEFAULTS.memLevel;
  if (!Number.isInteger(level) || level < -1 || level > 9) throw new RangeError('compression level must be an integer from -1 to 9');
  if (!Number.isInteger(memLevel) || memLevel < 1 || memLevel > 9) throw new RangeError('memLevel must be an integer from 1 to 9');
  return options;
}

/** @internal What a connection needs to run permessage-deflate once it was negotiated. */
export interface NegotiatedDeflate {
  params: DeflateParams;
  options: PerMessageDeflateOptions;
}
