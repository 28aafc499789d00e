/**
 * What a `Hub` needs to share topics between processes. A backplane relays every publish to every
 * process with members on the topic (this one included), and may keep a history to replay from.
 * `rfc6455/redis` has one on Redis; another engine fits behind the same interface.
 */
import type { DataMessageType } from '../connection/message.js';
import type { TopicMessage } from './topic-message.js';

/** Called by the backplane for each message to deliver to this process's members, in order. */
export type BackplaneReceiver = (message: TopicMessage, tag: string) => void;

/** What a history read found. */
export interface TopicHistory {
  /** The messages after the requested id, oldest first. */
  readonly messages: readonly TopicMessage[];
  /** True when some messages after the requested id are gone (past the retention, or lost). */
  readonly missed: boolean;
}

/** Shares a hub's topics with other processes (see the file comment). */
export interface Backplane {
  /** Hands the backplane the function it delivers received messages to. Called once, by the hub. */
  attach(receiver: BackplaneReceiver): void;
  /** Starts receiving `topic` (the first local member arrived). Resolves once messages flow. */
  join(topic: string): Promise<void>;
  /** Stops receiving `topic` (its last local member left). */
  leave(topic: string): Promise<void>;
  /**
   * Sends a message to every process on `topic`. Resolves true when it will come back through the
   * receiver (to be delivered here too), false when it could not be relayed now: the hub then
   * delivers it to the local members itself. `tag` comes back unchanged with the message.
   */
  publish(topic: string, type: DataMessageType, data: Buffer, tag: string): Promise<boolean>;
  /** The messages on `topic` after id `since`, when the backplane keeps the topic's history. */
  history?(topic: string, since: string): Promise<TopicHistory>;
}
