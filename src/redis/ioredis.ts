/**
 * A `RedisLink` over ioredis 5 clients (`new Redis()` from 'ioredis'), described by the methods
 * used, so that nothing here imports ioredis: pass a client and a `client.duplicate()` for the
 * subscriptions.
 */
import { PairReadiness, type RedisLink, type RedisLinkHandlers, guarded } from './link.js';

/** An event listener, as ioredis's `on` takes it. */
export type IoredisListener = (...args: unknown[]) => void;
type IoredisEvent = 'ready' | 'close' | 'end' | 'reconnecting' | 'error' | 'smessageBuffer' | 'messageBuffer';

/** What the backplane uses of an ioredis 5 client. */
export interface IoredisClientLike {
  /** Sends a raw command; bulk strings come back as Buffers. */
  callBuffer(command: string, ...args: Array<string | Buffer>): Promise<unknown>;
  /** Listens to 'ready', 'close', 'end', 'reconnecting', 'error' and the message events. */
  on(event: string, listener: IoredisListener): unknown;
  /** Stops listening (when the backplane closes). */
  off(event: string, listener: IoredisListener): unknown;
  /** 'ready' when the connection takes commands. */
  readonly status: string;
}

/** What the backplane uses of the ioredis 5 client that subscribes. */
export interface IoredisSubscriberLike extends IoredisClientLike {
  /** SSUBSCRIBE (messages arrive as 'smessageBuffer'). */
  ssubscribe(...channels: string[]): Promise<unknown>;
  /** SUNSUBSCRIBE. */
  sunsubscribe(...channels: string[]): Promise<unknown>;
  /** SUBSCRIBE, for servers before 7.0 (messages arrive as 'messageBuffer'). */
  subscribe(...channels: string[]): Promise<unknown>;
  /** UNSUBSCRIBE. */
  unsubscribe(...channels: string[]): Promise<unknown>;
}

/** A `RedisLink` over an ioredis 5 client and a duplicate of it for subscriptions. */
export function fromIoredis(client: IoredisClientLike, subscriber: IoredisSubscriberLike): RedisLink {
  const undo: Array<() => void> = [];
  const on = (target: IoredisClientLike, event: IoredisEvent, listener: IoredisListener): void => {
    target.on(event, listener);
    undo.push(() => target.off(event, listener));
  };
  return {
    command: ([name, ...args]) => client.callBuffer(String(name), ...args),
    async subscribe(channel, sharded) {
      if (sharded) await subscriber.ssubscribe(channel);
      else await subscriber.subscribe(channel);
    },
    async unsubscribe(channel, sharded) {
      if (sharded) await subscriber.sunsubscribe(channel);
      else await subscriber.unsubscribe(channel);
    },
    listen(h: RedisLinkHandlers) {
      const onError = (err: unknown): void => h.error(err);
      const readiness = new PairReadiness(client.status === 'ready', subscriber.status === 'ready', guarded((ready: boolean) => h.ready(ready), onError));
      const message = guarded((channel: Buffer, data: Buffer) => h.message(channel.toString(), data), onError);
      on(subscriber, 'smessageBuffer', message as IoredisListener);
      on(subscriber, 'messageBuffer', message as IoredisListener);
      for (const [target, which] of [[client, 'command'], [subscriber, 'subscriber']] as const) {
        on(target, 'ready', guarded(() => readiness.set(which, true), onError));
        for (const event of ['close', 'end', 'reconnecting'] as const) on(target, event, guarded(() => readiness.set(which, false), onError));
        // Listening to 'error' also keeps a failing connection from crashing the process.
        on(target, 'error', guarded((err: unknown) => onError(err), () => {}) as IoredisListener);
      }
    },
    isReady: () => client.status === 'ready' && subscriber.status === 'ready',
    detach() {
      for (const fn of undo.splice(0)) fn();
    },
  };
}
