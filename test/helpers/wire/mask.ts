/** §5.3: octet i of the transformed data is octet i of the original XOR octet i mod 4 of the key. */
export function xorMask(data: Buffer, key: Buffer): Buffer {
  if (key.length !== 4) throw new RangeError(`a masking key has 4 bytes, not ${key.length}`);
  const out = Buffer.allocUnsafe(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! ^ key[i & 3]!;
  return out;
}
