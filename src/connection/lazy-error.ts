/**
 * An error slot that is set once and built only if someone looks at it. Closing a connection
 * settles several "what went wrong" slots (reads, writes); building an `Error` captures a stack
 * trace, which costs more than the rest of a close, and most of them are never read.
 */
export class LazyError {
  private value: Error | null = null;
  private make: (() => Error) | null = null;

  /** Sets the error unless one is set already; the first one wins. */
  set(err: Error | (() => Error)): void {
    if (this.isSet) return;
    if (typeof err === 'function') this.make = err;
    else this.value = err;
  }

  get isSet(): boolean {
    return this.value !== null || this.make !== null;
  }

  /** The error, built now if it was given as a factory; null when none was set. */
  get(): Error | null {
    if (this.value === null && this.make !== null) {
      this.value = this.make();
      this.make = null;
    }
    return this.value;
  }
}
