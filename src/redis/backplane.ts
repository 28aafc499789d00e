/**
 * The Hub's backplane on Redis. A publish goes through Redis (sharded pub/sub where the server has
 * it) and each process delivers to its own members; a process listens to a topic only while it
 * has members there. Topics on streams keep their messages (XADD, bounded) with ids to resume from.
 * When Redis is unreachable, delivery stays local, the gap is reported when it is back and, for
 * topics on streams, filled.
 */
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { DataMessageType } from '../connection/message.js';
import type { Backplane, BackplaneReceiver, TopicHistory } from '../hub/backplane.js';
import { compareMessageIds } from '../hub/topic-message.js';
import { type Envelope, decodeLive, encodeHeader, text } from './envelope.js';
import type { RedisLink } from './link.js';
import type { BackplaneGap, RedisBackplaneOptions, RedisBackplaneStats } from './options.js';
import { type Retention, appendAndPublish, publishLive } from './publish.js';
import { readAfter, readHistory } from './stream-history.js';

interface TopicState {
  readonly topic: string;
  readonly stream: boolean;
  readonly channel: string;
  readonly key: string;
  /** The last stream id delivered here: nothing at or before it is delivered again. */
  lastId: string | null;
  /** While a gap is being filled: live messages wait here. */
  waiting: Envelope[] | null;
}

interface HeldPublish {
  readonly topic: string;
  readonly type: DataMessageType;
  readonly data: Buffer;
}

/**
 * Events: 'down' (Redis unreachable), 'up' (back), 'gap' (`BackplaneGap`, after 'up'), 'failure'
 * (an error; the backplane carries on). Listeners that throw are ignored.
 */
export class RedisBackplane extends EventEmitter implements Backplane {
  /** Counters since the backplane was made. */
  readonly stats: RedisBackplaneStats = { published: 0, received: 0, gaps: 0, recovered: 0, unrelayed: 0, outboxDropped: 0, errors: 0 };
  private readonly origin = randomBytes(6).toString('hex');
  private readonly topics = new Map<string, TopicState>();
  private readonly byChannel = new Map<string, TopicState>();
  private readonly outbox: HeldPublish[] = [];
  private readonly prefix: string;
  private readonly maxLength: number;
  private readonly maxOutbox: number;
  private readonly maxReplay: number;
  private receiver: BackplaneReceiver | null = null;
  private shardedPromise: Promise<boolean> | null = null;
  private up: boolean;
  /** Whether Redis was ever reachable: the first connection is not a gap. */
  private wasUp: boolean;
  private downSince: number | null = null;
  /** Between Redis coming back and the backplane taking publishes again (see recover()). */
  private recovering = false;
  private closed = false;

  constructor(
    private readonly link: RedisLink,
    private readonly options: RedisBackplaneOptions = {},
  ) {
    super();
    this.prefix = options.prefix ?? 'rfc6455:';
    this.maxLength = options.maxLength ?? 1000;
    this.maxOutbox = options.maxOutbox ?? 10_000;
    this.maxReplay = options.maxReplay ?? 10_000;
    this.up = link.isReady();
    this.wasUp = this.up;
    link.listen({
      message: (channel, message) => this.onMessage(channel, message),
      ready: (ready) => (ready ? void this.recover() : this.onDown()),
      error: (err) => this.fail(err),
    });
  }

  /** Whether Redis is reachable now. */
  get connected(): boolean {
    return this.up;
  }

  attach(receiver: BackplaneReceiver): void {
    if (this.receiver !== null) throw new Error('this backplane serves a hub already');
    this.receiver = receiver;
  }

  async join(topic: string): Promise<void> {
    const state: TopicState = { topic, stream: this.isStream(topic), channel: this.channelOf(topic), key: this.streamKey(topic), lastId: null, waiting: null };
    this.topics.set(topic, state);
    this.byChannel.set(state.channel, state);
    // While Redis is away, the subscription is made when it is back (recover()).
    if (this.up || this.recovering) await this.link.subscribe(state.channel, await this.sharded());
  }

  async leave(topic: string): Promise<void> {
    const state = this.topics.get(topic);
    if (state === undefined) return;
    this.topics.delete(topic);
    this.byChannel.delete(state.channel);
    if (this.up) await this.link.unsubscribe(state.channel, await this.sharded());
  }

  async publish(topic: string, type: DataMessageType, data: Buffer, tag: string): Promise<boolean> {
    const stream = this.isStream(topic);
    if (!this.up) {
      this.stats.unrelayed++;
      if (stream) this.hold({ topic, type, data });
      return false;
    }
    try {
      await this.send(topic, type, data, tag, false);
      this.stats.published++;
      return true;
    } catch (err) {
      this.fail(err);
      this.stats.unrelayed++;
      if (stream) this.hold({ topic, type, data });
      return false;
    }
  }

  async history(topic: string, since: string): Promise<TopicHistory> {
    // Without Redis, a read would wait in the client's offline queue: say at once that it is unknown.
    if (!this.isStream(topic) || !this.up) return { messages: [], missed: true };
    const read = await readHistory(this.link, this.streamKey(topic), since, this.maxReplay);
    return { messages: read.entries.map((e) => ({ topic, id: e.id, type: e.type, data: e.data })), missed: read.missed };
  }

  /** Stops listening (the Redis clients stay open: they are the application's). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const channels = [...this.byChannel.keys()];
    this.topics.clear();
    this.byChannel.clear();
    this.link.detach();
    if (!this.up) return;
    const sharded = await this.sharded();
    await Promise.all(channels.map((c) => this.link.unsubscribe(c, sharded).catch(() => {})));
  }

  private isStream(topic: string): boolean {
    const streams = this.options.streams ?? false;
    return typeof streams === 'function' ? streams(topic) : streams;
  }

  private streamKey(topic: string): string {
    return `${this.prefix}s:{${topic}}`;
  }

  private async send(topic: string, type: DataMessageType, data: Buffer, tag: string, deliveredLocally: boolean): Promise<void> {
    const header = encodeHeader(this.origin, deliveredLocally, type, tag);
    const target = { channel: this.channelOf(topic), sharded: await this.sharded() };
    if (!this.isStream(topic)) await publishLive(this.link, target, header, data);
    else await appendAndPublish(this.link, target, this.streamKey(topic), this.retention(), header, data);
  }

  private retention(): Retention {
    return this.options.maxAge === undefined ? { maxLength: this.maxLength } : { maxAgeMs: this.options.maxAge };
  }

  private channelOf(topic: string): string {
    return `${this.prefix}t:{${topic}}`;
  }

  private sharded(): Promise<boolean> {
    if (this.options.sharded !== undefined) return Promise.resolve(this.options.sharded);
    this.shardedPromise ??= this.link.command(['INFO', 'server']).then(
      (reply) => Number(/redis_version:(\d+)/.exec(text(reply) ?? '')?.[1] ?? 0) >= 7,
      (err: unknown) => {
        this.shardedPromise = null; // ask again next time
        throw err;
      },
    );
    return this.shardedPromise;
  }

  private hold(message: HeldPublish): void {
    if (this.outbox.length >= this.maxOutbox) {
      this.outbox.shift();
      this.stats.outboxDropped++;
    }
    this.outbox.push(message);
  }

  private onMessage(channel: string, raw: Buffer): void {
    const state = this.byChannel.get(channel);
    if (state === undefined) return; // left meanwhile
    const envelope = decodeLive(raw);
    if (envelope === null) {
      this.stats.errors++;
      return;
    }
    // Until a gap is filled, a stream topic's live messages wait: delivering one first would move
    // the resume point past the messages the fill is about to read.
    if (state.stream && !this.up && state.waiting === null) state.waiting = [];
    if (state.waiting === null) this.accept(state, envelope);
    else if (state.waiting.length < this.maxReplay) state.waiting.push(envelope);
    else this.stats.errors++; // a fill that never comes: bounded, and counted
  }

  /** Delivers a message once: for a stream topic, only if it is after the last one delivered. */
  private accept(state: TopicState, envelope: Envelope): boolean {
    if (state.stream && envelope.id !== null) {
      if (state.lastId !== null && compareMessageIds(envelope.id, state.lastId) <= 0) return false;
      state.lastId = envelope.id;
    }
    if (envelope.origin === this.origin && envelope.deliveredLocally) return false; // this process had it already
    this.stats.received++;
    try {
      this.receiver?.({ topic: state.topic, id: envelope.id, type: envelope.type, data: envelope.data }, envelope.origin === this.origin ? envelope.tag : '');
    } catch (err) {
      this.fail(err);
    }
    return true;
  }

  private onDown(): void {
    if (!this.up) return;
    this.up = false;
    this.downSince ??= Date.now();
    this.emitSafely('down');
  }

  /**
   * Redis is back: subscribe again, fill what streams kept of the gap, send what was held, and only
   * then take publishes again (until then they are held too), so that each publisher's messages
   * keep their order everywhere.
   */
  private async recover(): Promise<void> {
    if (this.up || this.recovering || this.closed) return;
    this.recovering = true;
    const since = this.downSince ?? Date.now();
    let recovered = 0;
    try {
      const sharded = await this.sharded();
      await Promise.all([...this.topics.values()].map((s) => this.link.subscribe(s.channel, sharded)));
      for (const state of [...this.topics.values()]) if (state.stream) recovered += await this.fill(state, since);
      while (this.outbox.length > 0) {
        const held = this.outbox[0]!;
        await this.send(held.topic, held.type, held.data, '', true);
        this.outbox.shift();
      }
    } catch (err) {
      this.fail(err);
      // Redis went away again: the next 'ready' starts over. Otherwise do not stay down for good.
      if (!this.link.isReady()) return;
    } finally {
      this.recovering = false;
    }
    // Topics whose fill did not run (it failed): deliver what waited rather than hold it.
    for (const state of this.topics.values()) {
      const waiting = state.waiting;
      state.waiting = null;
      for (const envelope of waiting ?? []) this.accept(state, envelope);
    }
    this.up = true;
    const isGap = this.wasUp;
    this.wasUp = true;
    this.downSince = null;
    this.emitSafely('up');
    if (!isGap) return;
    this.stats.gaps++;
    this.stats.recovered += recovered;
    this.emitSafely('gap', { since: new Date(since), durationMs: Date.now() - since, topics: [...this.topics.keys()], recovered } satisfies BackplaneGap);
  }

  /** Delivers the stream entries after the last one delivered here, then the live ones that waited. */
  private async fill(state: TopicState, downSince: number): Promise<number> {
    const waiting: Envelope[] = state.waiting ?? [];
    state.waiting = waiting;
    let recovered = 0;
    try {
      const entries = await readAfter(this.link, state.key, state.lastId ?? `${downSince}-0`, this.maxReplay);
      for (const entry of entries) if (this.accept(state, entry)) recovered++;
    } finally {
      if (state.waiting === waiting) state.waiting = null;
      for (const envelope of waiting) this.accept(state, envelope);
    }
    return recovered;
  }

  private fail(err: unknown): void {
    this.stats.errors++;
    this.emitSafely('failure', err);
  }

  private emitSafely(event: string, ...args: unknown[]): void {
    try {
      this.emit(event, ...args);
    } catch {
      // a listener threw: the backplane carries on
    }
  }
}

/** A backplane on Redis for a `Hub`, over a `RedisLink` (`fromNodeRedis` or `fromIoredis`). */
export function redisBackplane(link: RedisLink, options: RedisBackplaneOptions = {}): RedisBackplane {
  return new RedisBackplane(link, options);
}
