/** What the Redis backplane is given (options) and what it reports (gaps, counters). */

/** How the Redis backplane names, keeps and sends topics. */
export interface RedisBackplaneOptions {
  /** Prefix of the keys and channels. Default 'rfc6455:'. */
  prefix?: string;
  /** Topics carried on a Redis Stream, so clients can resume: all (true), none (false, the default), or those the function picks. */
  streams?: boolean | ((topic: string) => boolean);
  /** Entries kept per stream (`MAXLEN ~`). Default 1000. */
  maxLength?: number;
  /** Keep entries by age instead (ms, `MINID ~`). */
  maxAge?: number;
  /** SPUBLISH/SSUBSCRIBE (true) or PUBLISH/SUBSCRIBE (false). Default: sharded when the server is 7.0 or later. */
  sharded?: boolean;
  /** Publishes to stream topics held while Redis is unreachable, sent when it is back. Default 10,000. */
  maxOutbox?: number;
  /** Most messages replayed to one client, or recovered per topic after a gap. Default 10,000. */
  maxReplay?: number;
}

/** A period without Redis, reported once Redis is back. */
export interface BackplaneGap {
  /** When Redis became unreachable. */
  readonly since: Date;
  /** How long it stayed away. */
  readonly durationMs: number;
  /** The topics this process had members on. */
  readonly topics: string[];
  /** Messages recovered from streams and delivered late. */
  readonly recovered: number;
}

/** Counters since the backplane was made. */
export interface RedisBackplaneStats {
  /** Messages sent to Redis. */
  published: number;
  /** Messages from Redis delivered to the hub. */
  received: number;
  /** Periods without Redis. */
  gaps: number;
  /** Messages recovered from streams after gaps. */
  recovered: number;
  /** Publishes made while Redis was unreachable (delivered locally only, or held for a stream). */
  unrelayed: number;
  /** Held publishes dropped because the outbox was full. */
  outboxDropped: number;
  /** Malformed messages and failed commands. */
  errors: number;
}
