/**
 * Masking (RFC 6455 §5.3): payload byte i is XORed with byte (i mod 4) of a 32-bit key.
 * Masking and unmasking are the same operation.
 *
 * The key is carried as an unsigned 32-bit number whose most significant byte is the first
 * key byte on the wire. The work is done in place (or, for a frame being sent, as it is copied:
 * {@link copyMasked}): for a long range, 16 bytes a step in WebAssembly SIMD (`mask-simd.ts`),
 * or where that is unavailable a 32-bit word at a time over its aligned middle; for a short one,
 * and the ragged ends, byte by byte, or four bytes a step through a `DataView` the caller already
 * has ({@link applyMaskShort}).
 */

import { xorRepeated } from './mask-simd.js';

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Ranges shorter than this are cheaper to do byte by byte (four a step) than through a typed-array
 * view or a copy into WebAssembly, which cost allocations: measured crossover about 100 bytes on Node 20.
 */
const WORD_THRESHOLD = 128;

/**
 * XORs `data[start, end)` with the mask `key`, where `data[start]` is payload byte number
 * `phase` of its frame (only `phase mod 4` matters). Splitting a payload across calls with the
 * right phases gives the same result as one call over the whole payload.
 */
export function applyMask(data: Uint8Array, key: number, start = 0, end = data.length, phase = 0): void {
  const k0 = (key >>> 24) & 0xff;
  const k1 = (key >>> 16) & 0xff;
  const k2 = (key >>> 8) & 0xff;
  const k3 = key & 0xff;
  let i = start;
  let p = phase & 3;
  if (end - i >= WORD_THRESHOLD) {
    if (xorRepeated(data, i, end, littleEndianWord(p, k0, k1, k2, k3))) return;
    // Byte by byte up to a 4-byte aligned address, so that an Int32Array can view the middle.
    while (((data.byteOffset + i) & 3) !== 0) {
      data[i] = data[i]! ^ keyByte(p, k0, k1, k2, k3);
      i++;
      p = (p + 1) & 3;
    }
    const wordCount = (end - i) >>> 2;
    const words = new Int32Array(data.buffer, data.byteOffset + i, wordCount);
    const w = wordFor(p, k0, k1, k2, k3);
    let j = 0;
    for (const unrolled = wordCount & ~3; j < unrolled; j += 4) {
      words[j] = words[j]! ^ w;
      words[j + 1] = words[j + 1]! ^ w;
      words[j + 2] = words[j + 2]! ^ w;
      words[j + 3] = words[j + 3]! ^ w;
    }
    for (; j < wordCount; j++) words[j] = words[j]! ^ w;
    i += wordCount << 2; // whole words leave the phase unchanged
  }
  // A short range, or the ragged end: four bytes a step with the key rotated to the phase (whole
  // steps leave the phase unchanged), then up to three.
  const r0 = keyByte(p, k0, k1, k2, k3);
  const r1 = keyByte((p + 1) & 3, k0, k1, k2, k3);
  const r2 = keyByte((p + 2) & 3, k0, k1, k2, k3);
  const r3 = keyByte((p + 3) & 3, k0, k1, k2, k3);
  for (const stop = end - 3; i < stop; i += 4) {
    data[i] = data[i]! ^ r0;
    data[i + 1] = data[i + 1]! ^ r1;
    data[i + 2] = data[i + 2]! ^ r2;
    data[i + 3] = data[i + 3]! ^ r3;
  }
  if (i < end) data[i] = data[i]! ^ r0;
  if (i + 1 < end) data[i + 1] = data[i + 1]! ^ r1;
  if (i + 2 < end) data[i + 2] = data[i + 2]! ^ r2;
}

/**
 * Writes `source` masked with `key` into `target` from `at`, `source[0]` being the first byte of a
 * payload: a frame being sent, masked as it is copied into the outgoing buffer (one copy, where
 * copying and then masking in place takes two more through WebAssembly's memory).
 */
export function copyMasked(source: Uint8Array, target: Uint8Array, at: number, key: number): void {
  const n = source.length;
  if (n >= WORD_THRESHOLD && xorRepeated(source, 0, n, littleEndianWord(0, key >>> 24, (key >>> 16) & 0xff, (key >>> 8) & 0xff, key & 0xff), target, at)) return;
  target.set(source, at);
  applyMask(target, key, at, at + n);
}

/** Ranges shorter than this are worth {@link applyMaskShort} when the caller has a `DataView` at hand. */
export const SHORT_RANGE = WORD_THRESHOLD;

/**
 * {@link applyMask} for a short range of a buffer the caller holds a `DataView` of (the parser
 * makes one for a read chunk with more than one short payload): four bytes a step at any
 * alignment, with no view made per frame.
 * A 32-byte payload takes about 11 ns this way against 28 ns byte by byte (Node 20).
 */
export function applyMaskShort(view: DataView, key: number, start: number, end: number, phase = 0): void {
  const shift = (phase & 3) << 3;
  // The key rotated to start at byte `phase`, big-endian as `getInt32` reads it.
  const k = shift === 0 ? key | 0 : (key << shift) | (key >>> (32 - shift));
  let i = start;
  for (const stop = end - 3; i < stop; i += 4) view.setInt32(i, view.getInt32(i) ^ k);
  for (let s = 24; i < end; i++, s -= 8) view.setUint8(i, view.getUint8(i) ^ ((k >>> s) & 0xff));
}

function keyByte(p: number, k0: number, k1: number, k2: number, k3: number): number {
  return p === 0 ? k0 : p === 1 ? k1 : p === 2 ? k2 : k3;
}

/** The key rotated to start at byte `p`, as a little-endian 32-bit word (WebAssembly's order). */
function littleEndianWord(p: number, k0: number, k1: number, k2: number, k3: number): number {
  const b0 = keyByte(p, k0, k1, k2, k3);
  const b1 = keyByte((p + 1) & 3, k0, k1, k2, k3);
  const b2 = keyByte((p + 2) & 3, k0, k1, k2, k3);
  const b3 = keyByte((p + 3) & 3, k0, k1, k2, k3);
  return b0 | (b1 << 8) | (b2 << 16) | (b3 << 24);
}

/** The key rotated to start at byte `p`, as a native-endian 32-bit word (a typed array's order). */
function wordFor(p: number, k0: number, k1: number, k2: number, k3: number): number {
  const w = littleEndianWord(p, k0, k1, k2, k3);
  return LITTLE_ENDIAN ? w : ((w & 0xff) << 24) | ((w & 0xff00) << 8) | ((w >>> 8) & 0xff00) | (w >>> 24);
}
