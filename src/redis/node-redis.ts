/**
 * A `RedisLink` over node-redis 5 clients (`createClient()` from 'redis'), described by the methods
 * used, so that nothing here imports node-redis: pass a client and a `client.duplicate()` for the
 * subscriptions, both connected (or connecting).
 */
import { PairReadiness, type RedisLink, type RedisLinkHandlers, guarded } from './link.js';

/** An event listener, as node-redis's `on` takes it. */
export type NodeRedisListener = (...args: unknown[]) => void;
/** A pub/sub listener in buffer mode: the message, then its channel. */
export type NodeRedisBufferListener = (message: Buffer, channel: Buffer) => unknown;

/** What the backplane uses of a node-redis 5 client. */
export interface NodeRedisClientLike {
  /** Sends a raw command (`['XADD', ...]`); the backplane asks for bulk strings as Buffers. */
  sendCommand(args: ReadonlyArray<string | Buffer>, options?: { typeMapping?: Record<number, unknown> }): Promise<unknown>;
  /** Listens to 'ready', 'end', 'reconnecting' and 'error'. */
  on(event: string, listener: NodeRedisListener): unknown;
  /** Stops listening (when the backplane closes). */
  off(event: string, listener: NodeRedisListener): unknown;
  /** Whether the connection is ready for commands. */
  readonly isReady: boolean;
}

/** What the backplane uses of the node-redis 5 client that subscribes. */
export interface NodeRedisSubscriberLike extends NodeRedisClientLike {
  /** SSUBSCRIBE, messages as Buffers. */
  sSubscribe(channels: string, listener: NodeRedisBufferListener, bufferMode: true): Promise<unknown>;
  /** SUNSUBSCRIBE. */
  sUnsubscribe(channels: string, listener: NodeRedisBufferListener, bufferMode: true): Promise<unknown>;
  /** SUBSCRIBE (servers before 7.0), messages as Buffers. */
  subscribe(channels: string, listener: NodeRedisBufferListener, bufferMode: true): Promise<unknown>;
  /** UNSUBSCRIBE. */
  unsubscribe(channels: string, listener: NodeRedisBufferListener, bufferMode: true): Promise<unknown>;
}

/** RESP's bulk string type ('$'), mapped to Buffer so binary payloads survive. */
const BLOB_STRING = 36;
const AS_BUFFERS = { typeMapping: { [BLOB_STRING]: Buffer } };

/** A `RedisLink` over a node-redis 5 client and a duplicate of it for subscriptions. */
export function fromNodeRedis(client: NodeRedisClientLike, subscriber: NodeRedisSubscriberLike): RedisLink {
  let handlers: RedisLinkHandlers | null = null;
  const undo: Array<() => void> = [];
  const onMessage: NodeRedisBufferListener = (message, channel) => {
    try {
      handlers?.message(channel.toString(), message);
    } catch (err) {
      handlers?.error(err);
    }
  };
  const watch = (target: NodeRedisClientLike, which: 'command' | 'subscriber', readiness: PairReadiness, onError: (err: unknown) => void): void => {
    const up = guarded(() => readiness.set(which, true), onError);
    const down = guarded(() => readiness.set(which, false), onError);
    // Listening to 'error' also keeps a failing connection from crashing the process.
    const error = guarded((err: unknown) => {
      readiness.set(which, target.isReady);
      onError(err);
    }, () => {});
    const events = [['ready', up], ['end', down], ['reconnecting', down], ['error', error]] as const;
    for (const [event, listener] of events) {
      target.on(event, listener as NodeRedisListener);
      undo.push(() => target.off(event, listener as NodeRedisListener));
    }
  };
  return {
    command: (args) => client.sendCommand(args, AS_BUFFERS),
    async subscribe(channel, sharded) {
      if (sharded) await subscriber.sSubscribe(channel, onMessage, true);
      else await subscriber.subscribe(channel, onMessage, true);
    },
    async unsubscribe(channel, sharded) {
      if (sharded) await subscriber.sUnsubscribe(channel, onMessage, true);
      else await subscriber.unsubscribe(channel, onMessage, true);
    },
    listen(h) {
      handlers = h;
      const onError = (err: unknown): void => h.error(err);
      const readiness = new PairReadiness(client.isReady, subscriber.isReady, guarded((ready: boolean) => h.ready(ready), onError));
      watch(client, 'command', readiness, onError);
      watch(subscriber, 'subscriber', readiness, onError);
    },
    isReady: () => client.isReady && subscriber.isReady,
    detach() {
      handlers = null;
      for (const fn of undo.splice(0)) fn();
    },
  };
}
