/** What a `Hub` is given (options) and what it answers (results, counters). */
import type { Conn } from '../connection/conn.js';
import type { MessageData } from '../connection/message.js';
import type { Backplane } from './backplane.js';
import type { SlowSubscriberLimits, SlowSubscriberPolicy } from './subscriber.js';
import type { TopicMessage } from './topic-message.js';

/** How a `Hub` treats slow subscribers, and what it shares topics through. */
export interface HubOptions extends Partial<SlowSubscriberLimits> {
  /** What to do with a subscriber past `maxPendingMessages` or `maxPendingBytes`. Default 'close' (with 1008). */
  slowSubscriber?: SlowSubscriberPolicy;
  /** Shares topics with other processes (e.g. `redisBackplane` from `rfc6455/redis`). */
  backplane?: Backplane;
  /**
   * Turns a message into what the subscribers receive, e.g. to put its id in it so that a client
   * can resume from there. Called once per message per process. Default: the published data.
   */
  encode?: (message: TopicMessage) => MessageData;
  /** Told when a subscriber is closed or skipped for being too slow. */
  onSlowSubscriber?: (conn: Conn, topic: string) => void;
  /** Told when the backplane fails (the hub carries on locally). */
  onError?: (err: unknown) => void;
}

/** Options of one publish. */
export interface PublishOptions {
  /** A connection not to deliver to (typically the sender). */
  except?: Conn;
}

/** Options of one subscription. */
export interface SubscribeOptions {
  /** The id of the last message this client saw: the ones after it are replayed first (needs a backplane with history). */
  since?: string;
}

/** What a subscription with `since` replayed. */
export interface SubscribeResult {
  /** Messages replayed from history. */
  readonly replayed: number;
  /** True when some messages after `since` could not be replayed (past the retention, or lost). */
  readonly missed: boolean;
}

/** Counters since the hub was made. */
export interface HubStats {
  /** Calls to `publish` on this hub. */
  published: number;
  /** Messages written to subscribers (one per subscriber). */
  delivered: number;
  /** Messages not written to a subscriber too slow to take them (policy 'skip'). */
  skipped: number;
  /** Subscribers closed for being too slow (policy 'close'). */
  closedSlow: number;
  /** Publishes the backplane could not relay, delivered to this process's members only. */
  localOnly: number;
}
