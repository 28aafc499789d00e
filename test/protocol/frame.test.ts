import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/protocol/errors.js';
import { encodeFrame, headerLength, Opcode } from '../../src/protocol/frame.js';
import { decodeFrameHeader } from '../../src/protocol/parser.js';
import { applyMask } from '../../src/protocol/mask.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Decodes a complete frame (header and payload) for the tests. */
function decodeWhole(bytes: Buffer) {
  const h = decodeFrameHeader(bytes, 0, bytes.length);
  if (h === null) throw new Error('incomplete');
  const payload = Buffer.from(bytes.subarray(h.headerLength, h.headerLength + h.payloadLength));
  if (h.masked) applyMask(payload, h.maskKey);
  return { ...h, payload };
}

describe('RFC 6455 §5.7 examples', () => {
  it('a single-frame unmasked text message', () => {
    const wire = hex('81 05 48 65 6c 6c 6f');
    expect(encodeFrame({ opcode: Opcode.Text, payload: Buffer.from('Hello') })).toEqual(wire);
    const f = decodeWhole(wire);
    expect(f).toMatchObject({ fin: true, opcode: 1, masked: false, payloadLength: 5, headerLength: 2 });
    expect(f.payload.toString()).toBe('Hello');
  });

  it('a single-frame masked text message', () => {
    const wire = hex('81 85 37 fa 21 3d 7f 9f 4d 51 58');
    expect(encodeFrame({ opcode: Opcode.Text, payload: Buffer.from('Hello'), maskKey: 0x37fa213d })).toEqual(wire);
    const f = decodeWhole(wire);
    expect(f).toMatchObject({ fin: true, opcode: 1, masked: true, maskKey: 0x37fa213d, payloadLength: 5 });
    expect(f.payload.toString()).toBe('Hello');
  });

  it('a fragmented unmasked text message', () => {
    const first = hex('01 03 48 65 6c');
    const second = hex('80 02 6c 6f');
    expect(encodeFrame({ opcode: Opcode.Text, fin: false, payload: Buffer.from('Hel') })).toEqual(first);
    expect(encodeFrame({ opcode: Opcode.Continuation, payload: Buffer.from('lo') })).toEqual(second);
    expect(decodeWhole(first)).toMatchObject({ fin: false, opcode: 1 });
    expect(decodeWhole(second)).toMatchObject({ fin: true, opcode: 0 });
  });

  it('an unmasked ping and a masked pong', () => {
    const ping = hex('89 05 48 65 6c 6c 6f');
    const pong = hex('8a 85 37 fa 21 3d 7f 9f 4d 51 58');
    expect(encodeFrame({ opcode: Opcode.Ping, payload: Buffer.from('Hello') })).toEqual(ping);
    expect(encodeFrame({ opcode: Opcode.Pong, payload: Buffer.from('Hello'), maskKey: 0x37fa213d })).toEqual(pong);
    expect(decodeWhole(pong).payload.toString()).toBe('Hello');
  });

  it('256 bytes of binary data in a single unmasked frame (16-bit length)', () => {
    const payload = Buffer.alloc(256, 7);
    const frame = encodeFrame({ opcode: Opcode.Binary, payload });
    expect(frame.subarray(0, 4)).toEqual(hex('82 7e 01 00'));
    expect(frame.length).toBe(260);
    expect(decodeWhole(frame).payload).toEqual(payload);
  });

  it('64 KiB of binary data in a single unmasked frame (64-bit length)', () => {
    const payload = Buffer.alloc(65536, 9);
    const frame = encodeFrame({ opcode: Opcode.Binary, payload });
    expect(frame.subarray(0, 10)).toEqual(hex('82 7f 00 00 00 00 00 01 00 00'));
    expect(decodeWhole(frame).payload).toEqual(payload);
  });
});

describe('length encoding', () => {
  it('uses the shortest form at each boundary', () => {
    expect(headerLength(125, false)).toBe(2);
    expect(headerLength(126, false)).toBe(4);
    expect(headerLength(65535, false)).toBe(4);
    expect(headerLength(65536, false)).toBe(10);
    expect(headerLength(0, true)).toBe(6);
    expect(encodeFrame({ opcode: 2, payload: Buffer.alloc(125) })[1]).toBe(125);
    expect(encodeFrame({ opcode: 2, payload: Buffer.alloc(126) })[1]).toBe(126);
    expect(encodeFrame({ opcode: 2, payload: Buffer.alloc(65535) }).readUInt16BE(2)).toBe(65535);
    expect(encodeFrame({ opcode: 2, payload: Buffer.alloc(65536) })[1]).toBe(127);
  });

  it('returns null until the whole header is there', () => {
    const frame = encodeFrame({ opcode: 2, payload: Buffer.alloc(70000), maskKey: 1 });
    for (let n = 0; n < 14; n++) expect(decodeFrameHeader(frame, 0, n)).toBeNull();
    expect(decodeFrameHeader(frame, 0, 14)?.payloadLength).toBe(70000);
  });

  const closeCodeOf = (bytes: Buffer): number => {
    try {
      decodeFrameHeader(bytes, 0, bytes.length);
    } catch (err) {
      if (err instanceof ProtocolError) return err.closeCode;
      throw err;
    }
    return 0;
  };

  it('rejects a 64-bit length with the most significant bit set (1002)', () => {
    expect(closeCodeOf(hex('82 7f 80 00 00 00 00 00 00 00'))).toBe(1002);
    expect(closeCodeOf(hex('82 7f ff ff ff ff ff ff ff ff'))).toBe(1002);
  });

  it('rejects a length above Number.MAX_SAFE_INTEGER (1009) but accepts 2^53 - 1', () => {
    expect(closeCodeOf(hex('82 7f 00 20 00 00 00 00 00 00'))).toBe(1009);
    const max = decodeFrameHeader(hex('82 7f 00 1f ff ff ff ff ff ff'), 0, 10);
    expect(max?.payloadLength).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('rejects lengths not in their shortest form (1002)', () => {
    expect(closeCodeOf(hex('82 7e 00 7d'))).toBe(1002); // 125 as 16-bit
    expect(closeCodeOf(hex('82 7f 00 00 00 00 00 00 ff ff'))).toBe(1002); // 65535 as 64-bit
    expect(closeCodeOf(hex('82 7e 00 7e'))).toBe(0); // 126 as 16-bit is right
  });
});

describe('property: encode then decode gives the frame back', () => {
  const frameArb = fc.record({
    fin: fc.boolean(),
    rsv1: fc.boolean(),
    rsv2: fc.boolean(),
    rsv3: fc.boolean(),
    opcode: fc.integer({ min: 0, max: 15 }),
    maskKey: fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: null }),
    payload: fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.integer({ min: 0, max: 70_000 }).map((n) => new Uint8Array(n).map((_, i) => (i * 31) & 0xff)),
    ),
  });

  it('holds for arbitrary frames (payload 0..70,000 bytes)', () => {
    fc.assert(
      fc.property(frameArb, (f) => {
        const bytes = encodeFrame(f);
        const d = decodeWhole(bytes);
        expect(d.fin).toBe(f.fin);
        expect([d.rsv1, d.rsv2, d.rsv3]).toEqual([f.rsv1, f.rsv2, f.rsv3]);
        expect(d.opcode).toBe(f.opcode);
        expect(d.masked).toBe(f.maskKey !== null);
        if (f.maskKey !== null) expect(d.maskKey).toBe(f.maskKey);
        expect(d.payloadLength).toBe(f.payload.length);
        expect(d.headerLength + d.payloadLength).toBe(bytes.length);
        expect(Buffer.compare(d.payload, Buffer.from(f.payload))).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
