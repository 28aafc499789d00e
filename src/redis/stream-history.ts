/**
 * Reading a topic's stream: the entries after an id, and whether some after it are gone. Redis 7
 * records the highest id it trimmed (`max-deleted-entry-id`): past the retention when that is
 * after the id asked for.
 */
import { compareMessageIds, isMessageId } from '../hub/topic-message.js';
import { type Envelope, decodeEntry, text } from './envelope.js';
import type { RedisLink } from './link.js';

export interface StreamRead {
  readonly entries: Envelope[];
  readonly missed: boolean;
}

/** Entries read per XRANGE. */
const PAGE = 500;

/** Entries strictly after `since`, oldest first, at most `limit` (read a page at a time). */
export async function readAfter(link: RedisLink, key: string, since: string, limit: number): Promise<Envelope[]> {
  const out: Envelope[] = [];
  let after = since;
  while (out.length < limit) {
    const count = Math.min(PAGE, limit - out.length);
    const reply = await link.command(['XRANGE', key, `(${after}`, '+', 'COUNT', String(count)]);
    if (!Array.isArray(reply) || reply.length === 0) break;
    for (const entry of reply) {
      const envelope = decodeEntry(entry);
      if (envelope !== null) out.push(envelope);
    }
    const lastId = Array.isArray(reply.at(-1)) ? text((reply.at(-1) as unknown[])[0]) : null;
    if (lastId === null || reply.length < count) break;
    after = lastId;
  }
  return out;
}

/** The entries after `since` and whether any after it were lost (trimmed, or the stream restarted). */
export async function readHistory(link: RedisLink, key: string, since: string, count: number): Promise<StreamRead> {
  const [entries, info] = await Promise.all([readAfter(link, key, since, count), streamInfo(link, key)]);
  if (info === null) return { entries, missed: true }; // the stream is gone: what the client saw went with it
  const deletedAfter = info.maxDeleted !== null && compareMessageIds(info.maxDeleted, since) > 0;
  // An oldest entry after `since` with nothing trimmed after it: `since` is from an earlier stream.
  const restarted = info.first !== null && compareMessageIds(info.first, since) > 0 && (info.maxDeleted === null || compareMessageIds(info.maxDeleted, since) < 0);
  return { entries, missed: deletedAfter || restarted };
}

interface StreamInfo {
  readonly first: string | null;
  readonly maxDeleted: string | null;
}

async function streamInfo(link: RedisLink, key: string): Promise<StreamInfo | null> {
  let reply: unknown;
  try {
    reply = await link.command(['XINFO', 'STREAM', key]);
  } catch (err) {
    if (err instanceof Error && /no such key/i.test(err.message)) return null;
    throw err;
  }
  const fields = new Map<string, unknown>();
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) fields.set(text(reply[i]) ?? '', reply[i + 1]);
  } else if (reply instanceof Map) {
    for (const [k, v] of reply) fields.set(text(k) ?? '', v);
  }
  const firstEntry = fields.get('first-entry');
  const first = Array.isArray(firstEntry) ? text(firstEntry[0]) : null;
  const maxDeleted = text(fields.get('max-deleted-entry-id'));
  return { first: isMessageId(first) ? first : null, maxDeleted: isMessageId(maxDeleted) && maxDeleted !== '0-0' ? maxDeleted : null };
}
