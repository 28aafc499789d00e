/** Hostile frames, built byte by byte so that nothing in the library's encoder shapes them. */
import { constants, deflateRawSync } from 'node:zlib';

/** A masked frame header (mask key 0, so the payload goes as it is) with a raw 64-bit length. */
export function header64(first: number, length: bigint): Buffer {
  const out = Buffer.alloc(14);
  out[0] = first;
  out[1] = 0x80 | 127;
  out.writeBigUInt64BE(length, 2);
  return out; // bytes 10..13: the zero mask key
}

/**
 * `count` one-byte frames of one message: the first with `opcode`, the rest continuations, the
 * last with FIN. Payload byte i is `i % 251`. Masked with key 0; 7 bytes per frame.
 */
export function tinyFragments(count: number, opcode = 2): Buffer {
  const out = Buffer.alloc(count * 7);
  for (let i = 0; i < count; i++) {
    const at = i * 7;
    out[at] = (i === count - 1 ? 0x80 : 0) | (i === 0 ? opcode : 0);
    out[at + 1] = 0x81;
    out[at + 6] = i % 251;
  }
  return out;
}

/** RFC 7692 §7.2.1: deflate with a sync flush, then drop the 4-byte trailer. */
export function deflateMessage(data: Buffer): Buffer {
  const out = deflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4);
}

/** The request line for a client that offers permessage-deflate without context takeover. */
export const OFFER_DEFLATE = 'Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover; server_no_context_takeover';
