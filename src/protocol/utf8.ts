/**
 * Streaming UTF-8 validation (RFC 6455 §8.1, §5.6).
 *
 * A text message must be valid UTF-8 as a whole, but it arrives in frames, and frames arrive in
 * TCP chunks that can split a code point anywhere. The validator keeps the state of an open
 * sequence between calls, so it can reject the first invalid byte the moment it arrives, without
 * waiting for the end of the message ("fail fast").
 *
 * The byte ranges come from the Unicode Standard, Table 3-7 (well-formed UTF-8 byte sequences):
 *
 *   00..7F
 *   C2..DF 80..BF
 *   E0     A0..BF 80..BF          (E0 80..9F would be overlong)
 *   E1..EC 80..BF 80..BF
 *   ED     80..9F 80..BF          (ED A0..BF would encode a UTF-16 surrogate)
 *   EE..EF 80..BF 80..BF
 *   F0     90..BF 80..BF 80..BF   (F0 80..8F would be overlong)
 *   F1..F3 80..BF 80..BF 80..BF
 *   F4     80..8F 80..BF 80..BF   (F4 90.. would be above U+10FFFF)
 */
import { isUtf8 } from 'node:buffer';
import { span } from './buffer-view.js';

/** Below this many bytes a plain loop beats a call into the native validator. */
const NATIVE_THRESHOLD = 64;

/** One-shot validation of a complete byte sequence. */
export function isValidUtf8(bytes: Uint8Array): boolean {
  return bytes.length < NATIVE_THRESHOLD ? scanComplete(bytes) : isUtf8(bytes);
}

function scanComplete(bytes: Uint8Array): boolean {
  const v = new Utf8Validator();
  return v.write(bytes) && v.isComplete();
}

/**
 * An incremental UTF-8 validator (§8.1): fed a message piece by piece, it fails as soon as the bytes
 * cannot be UTF-8, even mid-character.
 */
export class Utf8Validator {
  /** Continuation bytes still expected by the open sequence. */
  private need = 0;
  /** Allowed range of the next continuation byte (narrower right after E0, ED, F0, F4). */
  private lo = 0x80;
  private hi = 0xbf;
  private failed = false;

  /**
   * Feeds `bytes[start, end)`. Returns false as soon as the bytes cannot be part of valid
   * UTF-8; the validator then stays failed until {@link reset}.
   */
  write(bytes: Uint8Array, start = 0, end = bytes.length): boolean {
    if (this.failed) return false;
    let i = start;
    // Finish a sequence that the previous chunk left open.
    while (this.need > 0 && i < end) {
      const b = bytes[i++]!;
      if (b < this.lo || b > this.hi) return this.fail();
      this.lo = 0x80;
      this.hi = 0xbf;
      this.need--;
    }
    if (end - i >= NATIVE_THRESHOLD) {
      // Hand the bulk to the native validator, keeping back a trailing sequence that this
      // chunk does not complete: the next chunk may complete it.
      const tail = incompleteTailStart(bytes, i, end);
      if (!isUtf8(span(bytes, i, tail))) return this.fail();
      i = tail;
    }
    return this.scan(bytes, i, end);
  }

  /** True when no sequence is left open: the bytes so far form complete UTF-8. */
  isComplete(): boolean {
    return !this.failed && this.need === 0;
  }

  /** Takes over another validator's state, to try bytes without committing to them. */
  copyStateFrom(other: Utf8Validator): void {
    this.need = other.need;
    this.lo = other.lo;
    this.hi = other.hi;
    this.failed = other.failed;
  }

  /** Starts over, for the next message. */
  reset(): void {
    this.need = 0;
    this.lo = 0x80;
    this.hi = 0xbf;
    this.failed = false;
  }

  private scan(bytes: Uint8Array, start: number, end: number): boolean {
    let need = this.need;
    let lo = this.lo;
    let hi = this.hi;
    for (let i = start; i < end; i++) {
      const b = bytes[i]!;
      if (need === 0) {
        if (b < 0x80) continue;
        if (b < 0xc2) return this.fail(); // a stray continuation byte, or overlong C0/C1
        if (b < 0xe0) {
          need = 1;
        } else if (b < 0xf0) {
          need = 2;
          if (b === 0xe0) lo = 0xa0;
          else if (b === 0xed) hi = 0x9f;
        } else if (b < 0xf5) {
          need = 3;
          if (b === 0xf0) lo = 0x90;
          else if (b === 0xf4) hi = 0x8f;
        } else {
          return this.fail(); // F5..FF never appear in UTF-8
        }
      } else {
        if (b < lo || b > hi) return this.fail();
        lo = 0x80;
        hi = 0xbf;
        need--;
      }
    }
    this.need = need;
    this.lo = lo;
    this.hi = hi;
    return true;
  }

  private fail(): false {
    this.failed = true;
    return false;
  }
}

/**
 * Where a multi-byte sequence that runs past `end` begins, or `end` when the chunk ends on a
 * sequence boundary. Only the last three bytes need a look: no sequence is longer than four.
 * Invalid lead bytes are left in the bulk, where the native validator rejects them.
 */
function incompleteTailStart(bytes: Uint8Array, start: number, end: number): number {
  const stop = Math.max(start, end - 3);
  for (let j = end - 1; j >= stop; j--) {
    const b = bytes[j]!;
    if (b < 0x80) return end;
    if (b >= 0xc0) {
      const length = b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
      return j + length > end ? j : end;
    }
  }
  return end;
}
