/** Deterministic payloads: patterned, so a byte moved or dropped anywhere changes the digest. */

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-_';

/** `length` bytes of ASCII text. */
export function textPayload(length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = ALPHABET.charCodeAt((i * 7 + (i >> 6)) % ALPHABET.length);
  return out;
}

/** `length` bytes covering every byte value. */
export function binaryPayload(length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + (i >> 8) + 7) & 0xff;
  return out;
}

/** Splits `bytes` into pieces of `size` bytes (the last may be shorter); one empty piece for no bytes. */
export function pieces(bytes: Buffer, size: number): Buffer[] {
  if (bytes.length === 0) return [bytes];
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}
