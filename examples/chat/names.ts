/**
 * Chat names: what a user types is cleaned up (no control or invisible formatting characters, one
 * space between words, at most MAX_NAME_LENGTH characters), then made unique among the members
 * present by a suffix: "Ada", "Ada (2)", "Ada (3)".
 */

/** Longest name, in characters (code points), before any suffix. */
export const MAX_NAME_LENGTH = 24;
/** The name of someone who gave none (or only characters that were removed). */
export const DEFAULT_NAME = 'guest';

/**
 * Control characters, format characters (bidirectional overrides, zero-width spaces: they let one
 * name pass for another) and line or paragraph separators.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

/** The cleaned-up form of a requested name; `DEFAULT_NAME` when nothing is left. */
export function sanitizeName(requested: string): string {
  const cleaned = requested.normalize('NFC').replace(/\s+/gu, ' ').replace(INVISIBLE, '').trim();
  const name = [...cleaned].slice(0, MAX_NAME_LENGTH).join('').trim();
  return name === '' ? DEFAULT_NAME : name;
}

/** The names in use. Comparison ignores case, so "ada" cannot pose as "Ada". */
export class NameRegistry {
  private readonly taken = new Set<string>();

  /** Cleans up `requested`, suffixes it if it is taken, and reserves the result. */
  claim(requested: string): string {
    const base = sanitizeName(requested);
    let name = base;
    for (let n = 2; this.taken.has(key(name)); n++) name = `${base} (${n})`;
    this.taken.add(key(name));
    return name;
  }

  /** Frees a name returned by `claim`. */
  release(name: string): void {
    this.taken.delete(key(name));
  }

  get size(): number {
    return this.taken.size;
  }
}

function key(name: string): string {
  return name.toLowerCase();
}
