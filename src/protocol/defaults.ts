/**
 * The defaults of the protocol's limits and timings, defined once: the core, the connection layer
 * (`CONN_DEFAULTS`) and the documentation all read them from here.
 */
export const PROTOCOL_DEFAULTS = {
  /** 16 MiB: a safe finite read limit (§10.4). */
  maxMessageSize: 16 * 1024 * 1024,
  /** 131,072 frames: above what any real sender needs (Autobahn's largest case uses 65,536). */
  maxFragments: 128 * 1024,
  /** 16 KiB: frames up to this size are coalesced into shared write batches. */
  writeBufferSize: 16 * 1024,
  /** 5 s for each step of the closing handshake. */
  closeTimeout: 5000,
} as const;
