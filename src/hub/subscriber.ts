/**
 * One connection as the hub sees it: its topics, and how much it has in flight. A subscriber that
 * falls behind (too many messages or bytes not yet handed to its socket) is too slow to keep up:
 * the hub must not hold every later message for it.
 */
import type { Conn } from '../connection/conn.js';
import type { PreparedMessage } from '../connection/prepared-message.js';
import type { TopicMessage } from './topic-message.js';

const QUEUED = Promise.resolve();

/** What to do with a subscriber past a limit: close it (1008), or skip the messages it cannot take. */
export type SlowSubscriberPolicy = 'close' | 'skip';

/** When a subscriber counts as too slow to keep up. */
export interface SlowSubscriberLimits {
  /**
   * Messages written and not yet accepted by the connection: ones waiting behind a message written
   * in pieces, or for compression with the connection's own context. Default 4096. A message the
   * connection queues at once counts in bytes instead (`maxPendingBytes`).
   */
  maxPendingMessages: number;
  /** Bytes held for the connection (its `bufferedAmount`, or the size of the writes not yet accepted). Default 1 MiB. */
  maxPendingBytes: number;
}

/** The defaults of `SlowSubscriberLimits`. */
export const SLOW_SUBSCRIBER_DEFAULTS: Readonly<SlowSubscriberLimits> = Object.freeze({
  maxPendingMessages: 4096,
  maxPendingBytes: 1024 * 1024,
});

/** @internal */
export class Subscriber {
  readonly topics = new Set<string>();
  /** Topics being replayed: live messages wait here until the replay is written. */
  readonly replaying = new Map<string, TopicMessage[]>();
  /**
   * After a replay, per topic, the last id replayed: history can be read before the same message
   * arrives live, and then the live copy must not be written again.
   */
  readonly replayedThrough = new Map<string, string>();
  pendingMessages = 0;
  pendingBytes = 0;
  /** Messages not written because the subscriber was too slow (policy 'skip'). */
  skipped = 0;

  constructor(readonly conn: Conn) {}

  /** Whether one more message of `size` bytes would go past a limit. */
  isBehind(limits: SlowSubscriberLimits, size: number): boolean {
    if (this.pendingMessages >= limits.maxPendingMessages) return true;
    const held = Math.max(this.conn.bufferedAmount, this.pendingBytes);
    return held > 0 && held + size > limits.maxPendingBytes;
  }

  /** Writes `prepared`, counting it in flight until the connection accepts it; resolves then (never rejects). */
  write(prepared: PreparedMessage): Promise<void> {
    // Queued at once when nothing stands in the way: no promise per delivery, and the bytes
    // count in `bufferedAmount` from now on.
    if (this.conn.queuePreparedMessage(prepared)) return QUEUED;
    const size = prepared.data.length;
    this.pendingMessages++;
    this.pendingBytes += size;
    const settle = (): void => {
      this.pendingMessages--;
      this.pendingBytes -= size;
    };
    // A rejection means the connection is closing; the hub drops it when it has closed.
    return this.conn.writePreparedMessage(prepared).then(settle, settle);
  }
}
