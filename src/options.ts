/**
 * The limits, timings and compression settings of a connection, with their defaults. Both
 * `Upgrader` and `Dialer` take these.
 */
import { PROTOCOL_DEFAULTS } from './protocol/defaults.js';
import type { DeflateNegotiationOptions, DeflateParams } from './protocol/deflate-negotiation.js';

/** Limits and timings of a connection. Every field is optional; {@link CONN_DEFAULTS} has the defaults. */
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
   * Frames up to this size are copied into shared regions of at most this many bytes; larger
   * messages are written straight from the caller's buffer. What one tick writes leaves in one
   * socket write, unless it passes `writeHighWaterMark` first. Default 16 KiB.
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
  /**
   * Close the connection (1001, "idle timeout") when no data message has arrived for this many ms.
   * Keepalive cannot catch a live peer that just holds a connection open; this does. 0 (the
   * default) turns it off: quiet connections, such as a feed the client only listens to, are normal.
   */
  idleTimeout?: number;
}

/** The default of each {@link ConnLimits} field. */
export const CONN_DEFAULTS = {
  /** 16 MiB. */
  readLimit: PROTOCOL_DEFAULTS.maxMessageSize,
  /** 131,072 frames. */
  maxFragments: PROTOCOL_DEFAULTS.maxFragments,
  /** 1 MiB. */
  readBufferSize: 1024 * 1024,
  /** 16 KiB. */
  writeBufferSize: PROTOCOL_DEFAULTS.writeBufferSize,
  /** 64 KiB. */
  writeHighWaterMark: 64 * 1024,
  /** 5 s. */
  closeTimeout: PROTOCOL_DEFAULTS.closeTimeout,
  /** Keepalive off. */
  pingInterval: 0,
  /** No idle timeout. */
  idleTimeout: 0,
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

/**
 * The defaults of {@link PerMessageDeflateOptions}: zlib level 1 (fast), memLevel 8, and messages
 * under 1024 bytes sent uncompressed.
 */
export const DEFLATE_DEFAULTS = {
  /** zlib level 1: fast, as gorilla. */
  level: 1,
  /** zlib memLevel 8: 128 KiB of hash tables. */
  memLevel: 8,
  /** Messages under 1024 bytes are sent uncompressed. */
  threshold: 1024,
} as const;

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
