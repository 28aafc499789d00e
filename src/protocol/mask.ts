/**
 * Masking (RFC 6455 §5.3): payload byte i is XORed with byte (i mod 4) of a 32-bit key.
 * Masking and unmasking are the same operation.
 *
 * The key is carried as an unsigned 32-bit number whose most significant byte is the first
 * key byte on the wire. The work is done in place, four bytes at a time over the aligned
 * middle of the range, one byte at a time at the ragged ends.
 */

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Ranges shorter than this are cheaper to do byte by byte than through a typed-array view. */
const WORD_THRESHOLD = 32;

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
  for (; i < end; i++) {
    data[i] = data[i]! ^ keyByte(p, k0, k1, k2, k3);
    p = (p + 1) & 3;
  }
}

function keyByte(p: number, k0: number, k1: number, k2: number, k3: number): number {
  return p === 0 ? k0 : p === 1 ? k1 : p === 2 ? k2 : k3;
}

/** The key rotated to start at byte `p`, as a native-endian 32-bit word. */
function wordFor(p: number, k0: number, k1: number, k2: number, k3: number): number {
  const b0 = keyByte(p, k0, k1, k2, k3);
  const b1 = keyByte((p + 1) & 3, k0, k1, k2, k3);
  const b2 = keyByte((p + 2) & 3, k0, k1, k2, k3);
  const b3 = keyByte((p + 3) & 3, k0, k1, k2, k3);
  return LITTLE_ENDIAN ? b0 | (b1 << 8) | (b2 << 16) | (b3 << 24) : (b0 << 24) | (b1 << 16) | (b2 << 8) | b3;
}
