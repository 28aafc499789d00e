/**
 * Masking keys for client frames. §5.3: the key "MUST be derived from a strong source of
 * entropy" and be unpredictable, so it comes from the operating system's CSPRNG. Drawing four
 * bytes per frame would cost a system call per frame; keys are drawn 1,024 at a time instead.
 */
import { randomFillSync } from 'node:crypto';

const BATCH = 1024;

/** Unpredictable 32-bit masking keys from the OS CSPRNG (§5.3), drawn in batches. */
export class MaskKeySource {
  private readonly keys = new Uint32Array(BATCH);
  private next = BATCH;

  /** The next unpredictable 32-bit key. */
  nextKey(): number {
    if (this.next === BATCH) {
      randomFillSync(this.keys);
      this.next = 0;
    }
    return this.keys[this.next++]!;
  }
}

/** One source for the whole process: keys are independent, so sharing them costs nothing. */
export const defaultMaskKeys = new MaskKeySource();
