/**
 * The UTF-8 oracle of the conformance suite: the platform's WHATWG decoder in fatal mode, not the
 * library's validator. Fed byte by byte in streaming mode it throws at the first byte that no
 * valid continuation can follow (it bounds the second byte after E0, ED, F0, F4 as Unicode's
 * Table 3-7 does), which is exactly where a fail-fast endpoint must fail (§8.1).
 */

/** Where `bytes` stops being valid UTF-8: the index of the offending byte; `bytes.length` when it is valid but ends inside a sequence; -1 when it is valid. */
export function utf8FailIndex(bytes: Uint8Array): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (let i = 0; i < bytes.length; i++) {
    try {
      decoder.decode(bytes.subarray(i, i + 1), { stream: true });
    } catch {
      return i;
    }
  }
  try {
    decoder.decode();
  } catch {
    return bytes.length;
  }
  return -1;
}

export function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}
