/**
 * Sending a message to Redis. Without history: one (S)PUBLISH. On a stream: XADD (trimmed) and
 * the publish in one script, so that the order on the channel is the order of the stream's ids,
 * and every process can resume from an id without a gap.
 */
import { encodeLive } from './envelope.js';
import type { RedisLink } from './link.js';

/** Where a topic's live messages go. */
export interface ChannelTarget {
  readonly channel: string;
  /** SPUBLISH (Redis 7 sharded pub/sub) rather than PUBLISH. */
  readonly sharded: boolean;
}

/** How much of a stream Redis keeps: about `maxLength` entries, or those younger than `maxAgeMs`. */
export type Retention = { readonly maxLength: number } | { readonly maxAgeMs: number };

const XADD_AND_PUBLISH = `local id = redis.call('XADD', KEYS[1], ARGV[1], '~', ARGV[2], '*', 'h', ARGV[3], 'd', ARGV[4])
redis.call(ARGV[5], ARGV[6], id .. '\\n' .. ARGV[3] .. '\\n' .. ARGV[4])
return id`;

export async function publishLive(link: RedisLink, target: ChannelTarget, header: string, data: Buffer): Promise<void> {
  await link.command([target.sharded ? 'SPUBLISH' : 'PUBLISH', target.channel, encodeLive(header, data)]);
}

/** Appends to the stream at `key` and publishes with the new id. */
export async function appendAndPublish(link: RedisLink, target: ChannelTarget, key: string, retention: Retention, header: string, data: Buffer): Promise<void> {
  // Approximate trimming (~) lets Redis drop whole nodes at once: cheap, and never below the bound.
  const trim = 'maxLength' in retention ? ['MAXLEN', String(retention.maxLength)] : ['MINID', `${Math.max(0, Date.now() - retention.maxAgeMs)}-0`];
  await link.command(['EVAL', XADD_AND_PUBLISH, '1', key, ...trim, header, data, target.sharded ? 'SPUBLISH' : 'PUBLISH', target.channel]);
}
