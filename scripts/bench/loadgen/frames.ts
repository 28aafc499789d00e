/**
 * Client frames encoded once, before any load: the load generator measures the server, so it
 * masks each payload a single time and sends the same bytes again and again (reusing a masking
 * key is fine here; a real client draws a fresh one per frame, §5.3).
 */
import { deflateRawSync, constants as zlib } from 'node:zlib';
import { CloseNormalClosure, encodeClosePayload } from '../../../src/protocol/close.js';
import { Opcode, encodeFrame } from '../../../src/protocol/frame.js';
import { computeAccept } from '../../../src/protocol/handshake.js';

/** Any non-zero key: `ws` skips unmasking when all four key bytes are zero, which would flatter it. */
export const MASK_KEY = 0x5a3c9e17;

export const WEBSOCKET_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
export const EXPECTED_ACCEPT = computeAccept(WEBSOCKET_KEY);

/**
 * The opening handshake request (§4.1). The deflate offer asks for no client context takeover:
 * each client message is then compressed on its own, so one pre-compressed frame stays valid
 * however many times it is sent (RFC 7692 §7.1.1.1).
 */
export function upgradeRequest(host: string, port: number, offerDeflate: boolean, path = '/'): Buffer {
  const lines = [
    `GET ${path} HTTP/1.1`,
    `Host: ${host}:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${WEBSOCKET_KEY}`,
    'Sec-WebSocket-Version: 13',
  ];
  if (offerDeflate) lines.push('Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover');
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

/** A masked client data frame carrying `payload` whole. */
export function clientDataFrame(payload: Buffer, opcode: number = Opcode.Binary): Buffer {
  return encodeFrame({ opcode, payload, maskKey: MASK_KEY });
}

/** The tail every sync-flushed deflate block ends with, removed on the wire (RFC 7692 §7.2.1). */
export const DEFLATE_TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** A masked, compressed (RSV1) text frame: `payload` deflated with a fresh context. */
export function clientCompressedFrame(payload: Buffer): Buffer {
  const deflated = deflateRawSync(payload, { finishFlush: zlib.Z_SYNC_FLUSH });
  const body = deflated.subarray(0, deflated.length - DEFLATE_TAIL.length);
  return encodeFrame({ opcode: Opcode.Text, rsv1: true, payload: body, maskKey: MASK_KEY });
}

/** A masked close frame with status 1000. */
export function clientCloseFrame(): Buffer {
  return encodeFrame({ opcode: Opcode.Close, payload: encodeClosePayload(CloseNormalClosure), maskKey: MASK_KEY });
}

/** Repeats `frame` into one buffer of about `targetBytes` (at least one frame), sent with a single write. */
export function batchOf(frame: Buffer, targetBytes: number): { batch: Buffer; frames: number } {
  const frames = Math.max(1, Math.floor(targetBytes / frame.length));
  if (frames === 1) return { batch: frame, frames };
  const batch = Buffer.allocUnsafe(frames * frame.length);
  for (let i = 0; i < frames; i++) frame.copy(batch, i * frame.length);
  return { batch, frames };
}
