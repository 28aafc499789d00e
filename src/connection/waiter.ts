/**
 * How this layer waits, and how it does not: {@link Waiter}, and {@link RESOLVED}.
 */

/**
 * What a call that did not have to wait returns: one promise, already resolved. Being one object,
 * it is also recognised: `forEachMessage` goes straight on to the next message when a handler
 * returns it (a write that went out at once), instead of waiting a microtask for it.
 */
export const RESOLVED: Promise<void> = Promise.resolve();

/**
 * The one way this layer waits: a promise settled from outside, which gives up when its
 * `AbortSignal` fires (the rejection is the signal's reason) and then detaches from the signal,
 * so a long-lived signal shared by many calls holds no listener per call that has finished.
 */
export class Waiter<T> {
  readonly promise: Promise<T>;
  private settled = false;
  private resolveWith!: (value: T) => void;
  private rejectWith!: (err: unknown) => void;
  private signal: AbortSignal | undefined;
  private listener: (() => void) | null = null;

  /** `onAbort` runs before the rejection, to take the waiter out of whatever list holds it. */
  constructor(signal?: AbortSignal, onAbort?: (waiter: Waiter<T>) => void) {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolveWith = resolve;
      this.rejectWith = reject;
    });
    if (signal === undefined) return;
    if (signal.aborted) {
      this.settled = true;
      this.rejectWith(signal.reason);
      return;
    }
    this.signal = signal;
    this.listener = () => {
      if (this.settled) return;
      onAbort?.(this);
      this.reject(signal.reason);
    };
    signal.addEventListener('abort', this.listener, { once: true });
  }

  /** Already resolved, rejected or aborted. */
  get isSettled(): boolean {
    return this.settled;
  }

  resolve(value: T): void {
    if (this.settled) return;
    this.settled = true;
    this.detach();
    this.resolveWith(value);
  }

  reject(err: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.detach();
    this.rejectWith(err);
  }

  private detach(): void {
    if (this.listener === null) return;
    this.signal!.removeEventListener('abort', this.listener);
    this.listener = null;
  }
}

/** Takes `waiter` out of `list` (after an abort). */
export function removeWaiter<T>(list: Array<Waiter<T>>, waiter: Waiter<T>): void {
  const i = list.indexOf(waiter);
  if (i >= 0) list.splice(i, 1);
}

/** Settles every waiter of `list` with `err` and empties it. */
export function rejectAll<T>(list: Array<Waiter<T>>, err: unknown): void {
  const waiters = list.splice(0);
  for (const w of waiters) w.reject(err);
}
