/**
 * Topics and broadcast: connections subscribe to topics, a publish reaches every subscriber of its
 * topic, framed once (and compressed once per set of deflate parameters without context takeover,
 * as `PreparedMessage` does). With a backplane, topics span processes.
 */
import { Buffer } from 'node:buffer';
import type { Conn } from '../connection/conn.js';
import type { DataMessageType, MessageData } from '../connection/message.js';
import { PreparedMessage } from '../connection/prepared-message.js';
import { ClosePolicyViolation } from '../protocol/close.js';
import type { Backplane } from './backplane.js';
import type { HubOptions, HubStats, PublishOptions, SubscribeOptions, SubscribeResult } from './hub-options.js';
import { ReplayWriter } from './replay.js';
import { SLOW_SUBSCRIBER_DEFAULTS, type SlowSubscriberLimits, type SlowSubscriberPolicy, Subscriber } from './subscriber.js';
import { type TopicMessage, compareMessageIds } from './topic-message.js';
import { toBuffer } from './to-buffer.js';

const MAX_TOPIC_LENGTH = 1024;
/** Publishes with `except` waiting to come back through the backplane; old ones are forgotten. */
const MAX_PENDING_EXCEPTS = 10_000;
const NOTHING_REPLAYED: SubscribeResult = Object.freeze({ replayed: 0, missed: false });

/**
 * Topics and broadcast. Connections subscribe to topics; a publish reaches every subscriber of
 * its topic (in every process, with a backplane), framed once per process.
 *
 * @example
 * ```ts
 * const hub = new Hub();
 * await hub.subscribe(conn, 'news');
 * await hub.publish('news', TextMessage, 'hello');
 * ```
 */
export class Hub {
  /** Counters since the hub was made. */
  readonly stats: HubStats = { published: 0, delivered: 0, skipped: 0, closedSlow: 0, localOnly: 0 };
  private readonly limits: SlowSubscriberLimits;
  private readonly policy: SlowSubscriberPolicy;
  private readonly backplane: Backplane | null;
  private readonly options: HubOptions;
  private readonly topicMembers = new Map<string, Set<Subscriber>>();
  private readonly subscriberOf = new Map<Conn, Subscriber>();
  /** Per topic, the backplane's join: later subscribers wait on the same one. */
  private readonly joins = new Map<string, Promise<void>>();
  private readonly excepts = new Map<string, Conn>();
  private readonly hubId = Math.random().toString(36).slice(2, 10);
  private exceptSeq = 0;

  constructor(options: HubOptions = {}) {
    this.options = options;
    this.limits = {
      maxPendingMessages: options.maxPendingMessages ?? SLOW_SUBSCRIBER_DEFAULTS.maxPendingMessages,
      maxPendingBytes: options.maxPendingBytes ?? SLOW_SUBSCRIBER_DEFAULTS.maxPendingBytes,
    };
    this.policy = options.slowSubscriber ?? 'close';
    this.backplane = options.backplane ?? null;
    this.backplane?.attach((message, tag) => this.receive(message, tag));
  }

  /**
   * Adds `conn` to `topic` (a no-op if it is there). It leaves by itself when it closes. Resolves
   * once it receives the topic's messages from every process, after the replay when `since` is given.
   */
  subscribe(conn: Conn, topic: string, options: SubscribeOptions = {}): Promise<SubscribeResult> {
    checkTopic(topic);
    let subscriber = this.subscriberOf.get(conn);
    if (subscriber === undefined) {
      subscriber = new Subscriber(conn);
      this.subscriberOf.set(conn, subscriber);
      void conn.closed.then(() => this.unsubscribeAll(conn));
    }
    if (subscriber.topics.has(topic)) return Promise.resolve(NOTHING_REPLAYED);
    subscriber.topics.add(topic);
    let members = this.topicMembers.get(topic);
    if (members === undefined) {
      members = new Set();
      this.topicMembers.set(topic, members);
    }
    members.add(subscriber);
    const joined = this.join(topic);
    if (options.since === undefined) return joined.then(() => NOTHING_REPLAYED);
    const replay = new ReplayWriter(this.backplane, subscriber, topic, this.limits, (m) => this.sendOne(subscriber, m));
    return replay.run(options.since, joined);
  }

  /** Removes `conn` from `topic`; false if it was not there. */
  unsubscribe(conn: Conn, topic: string): boolean {
    const subscriber = this.subscriberOf.get(conn);
    if (subscriber === undefined || !subscriber.topics.delete(topic)) return false;
    subscriber.replaying.delete(topic);
    subscriber.replayedThrough.delete(topic);
    const members = this.topicMembers.get(topic);
    members?.delete(subscriber);
    if (members !== undefined && members.size === 0) this.dropTopic(topic);
    if (subscriber.topics.size === 0) this.subscriberOf.delete(conn);
    return true;
  }

  /** Removes `conn` from every topic (done by itself when the connection closes). */
  unsubscribeAll(conn: Conn): void {
    const subscriber = this.subscriberOf.get(conn);
    if (subscriber === undefined) return;
    for (const topic of [...subscriber.topics]) this.unsubscribe(conn, topic);
    this.subscriberOf.delete(conn);
  }

  /**
   * Sends a message to every subscriber of `topic`, in every process when there is a backplane.
   * Resolves once it is written locally or handed to the backplane; never rejects for a backplane
   * failure (the message then reaches this process's subscribers only, and `onError` is told).
   */
  async publish(topic: string, type: DataMessageType, data: MessageData, options: PublishOptions = {}): Promise<void> {
    checkTopic(topic);
    const payload = Buffer.from(toBuffer(data)); // a copy: the caller may reuse its buffer
    this.stats.published++;
    if (this.backplane === null) {
      this.deliver({ topic, id: null, type, data: payload }, options.except);
      return;
    }
    // Remembered only when it matters: a connection not subscribed here would not be written to anyway.
    const except = options.except !== undefined && this.subscriberOf.get(options.except)?.topics.has(topic) === true ? options.except : undefined;
    const tag = except === undefined ? '' : this.rememberExcept(except);
    let relayed = false;
    try {
      relayed = await this.backplane.publish(topic, type, payload, tag);
    } catch (err) {
      this.report(err);
    }
    if (relayed) return;
    if (tag !== '') this.excepts.delete(tag);
    this.stats.localOnly++;
    this.deliver({ topic, id: null, type, data: payload }, options.except);
  }

  /** Local subscribers of `topic`. */
  subscriberCount(topic: string): number {
    return this.topicMembers.get(topic)?.size ?? 0;
  }

  /** The local subscribers of `topic`, in the order they subscribed. */
  subscribers(topic: string): Conn[] {
    return [...(this.topicMembers.get(topic) ?? [])].map((s) => s.conn);
  }

  /** Topics with at least one local subscriber. */
  topics(): string[] {
    return [...this.topicMembers.keys()];
  }

  /** The topics `conn` is subscribed to. */
  topicsOf(conn: Conn): string[] {
    return [...(this.subscriberOf.get(conn)?.topics ?? [])];
  }

  private join(topic: string): Promise<void> {
    if (this.backplane === null) return Promise.resolve();
    let joined = this.joins.get(topic);
    if (joined === undefined) {
      joined = this.backplane.join(topic).catch((err: unknown) => this.report(err));
      this.joins.set(topic, joined);
    }
    return joined;
  }

  private dropTopic(topic: string): void {
    this.topicMembers.delete(topic);
    if (this.backplane === null) return;
    this.joins.delete(topic);
    this.backplane.leave(topic).catch((err: unknown) => this.report(err));
  }

  private receive(message: TopicMessage, tag: string): void {
    let except: Conn | undefined;
    if (tag !== '') {
      except = this.excepts.get(tag);
      this.excepts.delete(tag);
    }
    this.deliver(message, except);
  }

  private deliver(message: TopicMessage, except: Conn | undefined): void {
    const members = this.topicMembers.get(message.topic);
    if (members === undefined || members.size === 0) return;
    let prepared: PreparedMessage | null = null;
    for (const subscriber of [...members]) {
      if (subscriber.conn === except || this.replayedAlready(subscriber, message)) continue;
      const waiting = subscriber.replaying.get(message.topic);
      if (waiting !== undefined) {
        if (waiting.length >= this.limits.maxPendingMessages) this.tooSlow(subscriber, message.topic);
        else waiting.push(message);
        continue;
      }
      prepared ??= this.prepare(message);
      if (prepared !== null) this.send(subscriber, prepared, message.topic);
    }
  }

  /** Whether the subscriber's replay held this message already (the live copy arrived after it). */
  private replayedAlready(subscriber: Subscriber, message: TopicMessage): boolean {
    const through = subscriber.replayedThrough.get(message.topic);
    if (through === undefined || message.id === null) return false;
    if (compareMessageIds(message.id, through) <= 0) return true;
    subscriber.replayedThrough.delete(message.topic); // live has caught up
    return false;
  }

  /** Frames a message; null (and reported) when `encode` throws. */
  private prepare(message: TopicMessage): PreparedMessage | null {
    try {
      const data = this.options.encode === undefined ? message.data : this.options.encode(message);
      return new PreparedMessage(message.type, data);
    } catch (err) {
      this.report(err);
      return null;
    }
  }

  /** Frames and writes one message to one subscriber (a replay); null if it was not written. */
  private sendOne(subscriber: Subscriber, message: TopicMessage): Promise<void> | null {
    const prepared = this.prepare(message);
    return prepared === null ? null : this.send(subscriber, prepared, message.topic);
  }

  /** Writes to one subscriber unless it is too slow; the write's settlement, or null if not written. */
  private send(subscriber: Subscriber, prepared: PreparedMessage, topic: string): Promise<void> | null {
    if (subscriber.isBehind(this.limits, prepared.data.length)) {
      this.tooSlow(subscriber, topic);
      return null;
    }
    this.stats.delivered++;
    return subscriber.write(prepared);
  }

  private tooSlow(subscriber: Subscriber, topic: string): void {
    if (this.policy === 'skip') {
      subscriber.skipped++;
      this.stats.skipped++;
    } else {
      this.stats.closedSlow++;
      this.unsubscribeAll(subscriber.conn);
      const conn = subscriber.conn;
      conn.close(ClosePolicyViolation, 'too slow to keep up').catch(() => conn.closeNow());
    }
    try {
      this.options.onSlowSubscriber?.(subscriber.conn, topic);
    } catch (err) {
      this.report(err);
    }
  }

  private rememberExcept(conn: Conn): string {
    if (this.excepts.size >= MAX_PENDING_EXCEPTS) {
      const oldest = this.excepts.keys().next().value;
      if (oldest !== undefined) this.excepts.delete(oldest);
    }
    const tag = `${this.hubId}:${++this.exceptSeq}`;
    this.excepts.set(tag, conn);
    return tag;
  }

  private report(err: unknown): void {
    try {
      this.options.onError?.(err);
    } catch {
      // the application's handler failed: nothing more to tell
    }
  }
}

function checkTopic(topic: string): void {
  if (typeof topic !== 'string' || topic.length === 0 || topic.length > MAX_TOPIC_LENGTH) {
    throw new TypeError(`a topic is a string of 1 to ${MAX_TOPIC_LENGTH} characters`);
  }
}
