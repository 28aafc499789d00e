/** Encoding one frame per RFC 6455 §5.2, always with the shortest payload length form. */
import type { WireFrameInit } from './frame.js';
import { xorMask } from './mask.js';

/** The bytes of one frame. */
export function encodeWireFrame(init: WireFrameInit): Buffer {
  const given = init.payload ?? Buffer.alloc(0);
  const payload = typeof given === 'string' ? Buffer.from(given, 'utf8') : Buffer.from(given.buffer, given.byteOffset, given.byteLength);
  if (!Number.isInteger(init.opcode) || init.opcode < 0 || init.opcode > 15) throw new RangeError(`an opcode has 4 bits: ${init.opcode}`);
  const first =
    ((init.fin ?? true) ? 0x80 : 0) | (init.rsv1 === true ? 0x40 : 0) | (init.rsv2 === true ? 0x20 : 0) | (init.rsv3 === true ? 0x10 : 0) | init.opcode;
  const maskBit = init.maskKey !== undefined ? 0x80 : 0;
  // "Payload length: 7 bits, 7+16 bits, or 7+64 bits": 0-125 as is, 126 then 16 bits, 127 then 64.
  let lengthBytes: Buffer;
  if (payload.length <= 125) {
    lengthBytes = Buffer.from([maskBit | payload.length]);
  } else if (payload.length <= 0xffff) {
    lengthBytes = Buffer.alloc(3);
    lengthBytes[0] = maskBit | 126;
    lengthBytes.writeUInt16BE(payload.length, 1);
  } else {
    lengthBytes = Buffer.alloc(9);
    lengthBytes[0] = maskBit | 127;
    lengthBytes.writeBigUInt64BE(BigInt(payload.length), 1);
  }
  const body = init.maskKey !== undefined ? xorMask(payload, init.maskKey) : payload;
  return Buffer.concat([Buffer.from([first]), lengthBytes, init.maskKey ?? Buffer.alloc(0), body]);
}
