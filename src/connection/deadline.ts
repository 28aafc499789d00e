/**
 * A deadline for waits (gorilla's `SetReadDeadline` / `SetWriteDeadline`): one timer, armed only
 * while something waits, that calls back when the deadline passes. Checked on use too, so a wait
 * that starts after the deadline fails at once.
 */
export class Deadline {
  private at: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly onExpire: () => void;

  constructor(onExpire: () => void) {
    this.onExpire = onExpire;
  }

  /**
   * Sets the deadline: a `Date`, a time in ms since the epoch, or null to clear it. Anything else
   * is a `TypeError` now, not a surprise at the next wait.
   */
  set(deadline: Date | number | null, waiting: boolean): void {
    if (deadline === null) {
      this.at = null;
    } else {
      const at = deadline instanceof Date ? deadline.getTime() : deadline;
      if (typeof at !== 'number' || Number.isNaN(at)) throw new TypeError('websocket: a deadline is a Date, a number of ms since the epoch, or null');
      this.at = at;
    }
    this.arm(waiting);
  }

  /** The deadline has passed. */
  get passed(): boolean {
    return this.at !== null && Date.now() >= this.at;
  }

  /** Arms the timer while something waits (`waiting`), disarms it otherwise. */
  arm(waiting: boolean): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.at === null || !waiting) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.at === null) return;
      if (Date.now() < this.at) return this.arm(true);
      this.onExpire();
    }, Math.max(0, this.at - Date.now()));
  }

  /** Stops the timer for good (the connection is gone). */
  stop(): void {
    this.at = null;
    this.arm(false);
  }
}

/** `promise`, or a rejection with `makeError()` if it has not settled by `deadline` (ms since the epoch). */
export function withDeadline<T>(promise: Promise<T>, deadline: number, makeError: () => Error): Promise<T> {
  if (Number.isNaN(deadline)) return Promise.reject(new TypeError('websocket: a deadline is a Date or a number of ms since the epoch'));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(makeError()), Math.max(0, deadline - Date.now()));
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
