/**
 * The few things the Redis backplane asks of a Redis client, so that it works with the
 * application's own client without this package depending on one. `fromNodeRedis` and
 * `fromIoredis` make one from node-redis 5 and ioredis 5; another client needs a dozen lines.
 */

/** Two connections to Redis: one for commands, one in subscriber mode. */
export interface RedisLink {
  /** Sends a command on the command connection. Bulk strings come back as Buffers. */
  command(args: ReadonlyArray<string | Buffer>): Promise<unknown>;
  /** Subscribes the subscriber connection to `channel` (SSUBSCRIBE when `sharded`, else SUBSCRIBE). */
  subscribe(channel: string, sharded: boolean): Promise<void>;
  /** Undoes `subscribe`. */
  unsubscribe(channel: string, sharded: boolean): Promise<void>;
  /**
   * Registers the backplane's handlers. `ready(true)` once both connections are ready, with the
   * subscriptions made before a reconnection restored or restorable; `ready(false)` when one is lost.
   */
  listen(handlers: RedisLinkHandlers): void;
  /** Whether both connections are ready now. */
  isReady(): boolean;
  /** Removes the handlers `listen` installed (the clients stay open: they are the application's). */
  detach(): void;
}

/** What a `RedisLink` reports to the backplane. */
export interface RedisLinkHandlers {
  /** A message on a subscribed channel. */
  message(channel: string, message: Buffer): void;
  /** Both connections ready (true), or one of them lost (false). */
  ready(ready: boolean): void;
  /** A client error (the link carries on; the clients reconnect by themselves). */
  error(err: unknown): void;
}

/** Calls a handler without letting it throw into a client library's event loop. */
export function guarded<A extends unknown[]>(fn: (...args: A) => void, onError: (err: unknown) => void): (...args: A) => void {
  return (...args: A) => {
    try {
      fn(...args);
    } catch (err) {
      try {
        onError(err);
      } catch {
        // nothing left to tell
      }
    }
  };
}

/** Tracks the readiness of the two connections and reports changes of the pair. */
export class PairReadiness {
  private commandReady: boolean;
  private subscriberReady: boolean;
  private reported: boolean;

  constructor(
    commandReady: boolean,
    subscriberReady: boolean,
    private readonly report: (ready: boolean) => void,
  ) {
    this.commandReady = commandReady;
    this.subscriberReady = subscriberReady;
    this.reported = commandReady && subscriberReady;
  }

  get ready(): boolean {
    return this.commandReady && this.subscriberReady;
  }

  set(which: 'command' | 'subscriber', ready: boolean): void {
    if (which === 'command') this.commandReady = ready;
    else this.subscriberReady = ready;
    if (this.ready !== this.reported) {
      this.reported = this.ready;
      this.report(this.reported);
    }
  }
}
