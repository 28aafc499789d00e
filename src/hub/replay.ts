/**
 * Resuming a subscriber from the last message it saw: its live messages wait while the history is
 * read, then it gets the history after that id and the waiting messages history did not hold, in
 * order, no gap, no duplicate. Written at the pace the connection takes them, so a long replay
 * does not count as falling behind.
 */
import type { Backplane, TopicHistory } from './backplane.js';
import type { SubscribeResult } from './hub-options.js';
import type { SlowSubscriberLimits, Subscriber } from './subscriber.js';
import { type TopicMessage, isMessageId, mergeAfter } from './topic-message.js';

/** Writes one message; resolves when the connection took it, or null when it was not written. */
export type SendOne = (message: TopicMessage) => Promise<void> | null;

/** @internal */
export class ReplayWriter {
  constructor(
    private readonly backplane: Backplane | null,
    private readonly subscriber: Subscriber,
    private readonly topic: string,
    private readonly limits: SlowSubscriberLimits,
    private readonly sendOne: SendOne,
  ) {}

  async run(since: string, joined: Promise<void>): Promise<SubscribeResult> {
    const waiting: TopicMessage[] = [];
    this.subscriber.replaying.set(this.topic, waiting);
    const validSince = isMessageId(since) ? since : null;
    let history: TopicHistory = { messages: [], missed: true };
    try {
      await joined;
      if (validSince !== null && this.backplane?.history !== undefined) history = await this.backplane.history(this.topic, validSince);
    } catch {
      // history unreachable: the subscriber gets the live flow, told that it missed some
    }
    let replayed = 0;
    let last = validSince;
    for (const message of mergeAfter(validSince, history.messages, [])) {
      if (!this.stillReplaying(waiting)) return { replayed, missed: history.missed };
      if (await this.write(message)) replayed++;
      if (message.id !== null) last = message.id;
    }
    // Live messages that arrived meanwhile, minus those the history held; more may come while writing.
    while (this.stillReplaying(waiting) && waiting.length > 0) {
      const batch = mergeAfter(last, [], waiting.splice(0));
      for (const message of batch) {
        await this.write(message);
        if (message.id !== null) last = message.id;
      }
    }
    if (this.stillReplaying(waiting)) {
      this.subscriber.replaying.delete(this.topic);
      if (last !== null) this.subscriber.replayedThrough.set(this.topic, last);
    }
    return { replayed, missed: history.missed };
  }

  private stillReplaying(waiting: TopicMessage[]): boolean {
    return this.subscriber.replaying.get(this.topic) === waiting;
  }

  /** Writes, waiting for the connection when half the allowance is in flight. */
  private async write(message: TopicMessage): Promise<boolean> {
    const written = this.sendOne(message);
    if (written === null) return false;
    const busy =
      this.subscriber.pendingMessages >= this.limits.maxPendingMessages / 2 || this.subscriber.pendingBytes >= this.limits.maxPendingBytes / 2;
    if (busy) await written;
    return true;
  }
}
