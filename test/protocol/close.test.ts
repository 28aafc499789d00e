import { describe, expect, it } from 'vitest';
import { decodeClosePayload, encodeClosePayload, isValidWireCloseCode } from '../../src/protocol/close.js';
import { ProtocolError } from '../../src/protocol/errors.js';

function codeOf(fn: () => unknown): number | null {
  try {
    fn();
    return null;
  } catch (err) {
    if (err instanceof ProtocolError) return err.closeCode;
    throw err;
  }
}

describe('close codes (§7.4)', () => {
  it('accepts exactly the codes allowed on the wire', () => {
    const valid = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999];
    const invalid = [0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535, -1, 1000.5];
    for (const c of valid) expect(isValidWireCloseCode(c), String(c)).toBe(true);
    for (const c of invalid) expect(isValidWireCloseCode(c), String(c)).toBe(false);
  });

  it('checks every code from 0 to 65535 against the ranges', () => {
    for (let c = 0; c <= 65535; c++) {
      const expected = (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999);
      if (isValidWireCloseCode(c) !== expected) throw new Error(`code ${c}`);
    }
  });
});

describe('close payloads (§5.5.1)', () => {
  it('round-trips a code and a UTF-8 reason', () => {
    const payload = encodeClosePayload(4001, 'héllo');
    expect(payload.readUInt16BE(0)).toBe(4001);
    expect(decodeClosePayload(payload)).toEqual({ code: 4001, reason: 'héllo' });
  });

  it('reads an empty payload as 1005 and writes 1005 as an empty payload', () => {
    expect(decodeClosePayload(new Uint8Array(0))).toEqual({ code: 1005, reason: '' });
    expect(encodeClosePayload(1005).length).toBe(0);
    expect(encodeClosePayload().length).toBe(0);
  });

  it('fails a 1-byte payload with 1002', () => {
    expect(codeOf(() => decodeClosePayload(Uint8Array.of(0x03)))).toBe(1002);
  });

  it('fails a code not allowed on the wire with 1002', () => {
    for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000]) {
      const p = Buffer.alloc(2);
      p.writeUInt16BE(code);
      expect(codeOf(() => decodeClosePayload(p)), String(code)).toBe(1002);
    }
  });

  it('fails a reason that is not UTF-8 with 1007', () => {
    expect(codeOf(() => decodeClosePayload(Uint8Array.of(0x03, 0xe8, 0xce, 0xba, 0xe1, 0xbd)))).toBe(1007);
  });

  it('allows a 123-byte reason and refuses a 124-byte one when sending', () => {
    expect(encodeClosePayload(1000, 'a'.repeat(123)).length).toBe(125);
    expect(() => encodeClosePayload(1000, 'a'.repeat(124))).toThrow(RangeError);
    expect(() => encodeClosePayload(1000, 'é'.repeat(62))).toThrow(RangeError); // 124 bytes
  });

  it('refuses to send reserved codes', () => {
    for (const code of [1004, 1006, 1015, 999, 5000]) expect(() => encodeClosePayload(code)).toThrow(RangeError);
    expect(() => encodeClosePayload(1005, 'why')).toThrow(RangeError);
  });

  it('never carries stale memory: the bytes are exactly code and reason', () => {
    for (let i = 0; i < 200; i++) {
      const reason = 'r'.repeat(i % 124);
      const p = encodeClosePayload(1000, reason);
      expect(p.length).toBe(2 + reason.length);
      expect(p.subarray(2).toString()).toBe(reason);
    }
  });
});
