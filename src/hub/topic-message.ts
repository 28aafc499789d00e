/**
 * A message on a topic as the hub delivers it, and the order of message ids. Ids have the form of
 * Redis Stream ids (`<milliseconds>-<sequence>`), which every backplane that keeps history uses.
 */
import type { DataMessageType } from '../connection/message.js';

/** One message published on a topic. */
export interface TopicMessage {
  /** The topic it was published on. */
  readonly topic: string;
  /** Its place in the topic's history (`"1700000000000-0"`), or null when the topic keeps none. */
  readonly id: string | null;
  /** `TextMessage` or `BinaryMessage`. */
  readonly type: DataMessageType;
  /** The payload as published. */
  readonly data: Buffer;
}

const ID_PATTERN = /^(\d{1,20})-(\d{1,20})$/;

/** Whether `id` is a message id (`<ms>-<seq>`, both decimal). */
export function isMessageId(id: unknown): id is string {
  return typeof id === 'string' && ID_PATTERN.test(id);
}

/** Negative, zero or positive as `a` comes before, is, or comes after `b`. Both must be message ids. */
export function compareMessageIds(a: string, b: string): number {
  const [msA, seqA] = splitId(a);
  const [msB, seqB] = splitId(b);
  if (msA !== msB) return msA < msB ? -1 : 1;
  if (seqA !== seqB) return seqA < seqB ? -1 : 1;
  return 0;
}

function splitId(id: string): [bigint, bigint] {
  const match = ID_PATTERN.exec(id);
  if (match === null) throw new TypeError(`not a message id: ${JSON.stringify(id)}`);
  return [BigInt(match[1]!), BigInt(match[2]!)];
}

/**
 * Joins what was fetched from history with what arrived live meanwhile: history first, then the
 * live messages that history did not already hold, everything strictly after `since`, no id twice.
 * Live messages without an id (sent while the history was unreachable) are kept, in their place.
 */
export function mergeAfter(since: string | null, history: readonly TopicMessage[], live: readonly TopicMessage[]): TopicMessage[] {
  const out: TopicMessage[] = [];
  let last = since;
  for (const message of [...history, ...live]) {
    if (message.id === null) {
      out.push(message);
      continue;
    }
    if (last !== null && compareMessageIds(message.id, last) <= 0) continue;
    out.push(message);
    last = message.id;
  }
  return out;
}
