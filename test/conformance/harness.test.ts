/**
 * The conformance harness itself: its frame codec, its UTF-8 oracle, and a check of the peer's
 * server role against an implementation that is not ours: the `ws` client runs the tables that
 * both sides share, so a failure in test/conformance/client/ points at our client, not the peer.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { closeCases } from './cases/close.js';
import { fragmentationCases } from './cases/fragmentation.js';
import { framingCases } from './cases/framing.js';
import { pingCases } from './cases/pings.js';
import { utf8Cases } from './cases/utf8.js';
import { runCases } from './harness/run-cases.js';
import { clientTestee } from './harness/testee.js';
import { utf8FailIndex } from './harness/utf8.js';
import { FrameReader, type FrameSpec, OP, encodeFrame } from './harness/wire.js';

describe('wire codec', () => {
  it('uses the shortest length encoding (§5.2) and masks with the key', () => {
    const header = (length: number, mask: Buffer | null): string =>
      encodeFrame({ opcode: OP.binary, payload: Buffer.alloc(length) }, mask).subarray(0, length < 126 ? 2 : length < 65536 ? 4 : 10).toString('hex');
    expect(header(125, null)).toBe('827d');
    expect(header(126, null)).toBe('827e007e');
    expect(header(65535, null)).toBe('827effff');
    expect(header(65536, null)).toBe('827f0000000000010000');
    const masked = encodeFrame({ opcode: OP.text, payload: 'Hello', rsv: 5, fin: false }, Buffer.from('37fa213d', 'hex'));
    // RFC 6455 §5.7's masked "Hello", here with RSV1|RSV3 set and FIN clear.
    expect(masked.toString('hex')).toBe('518537fa213d7f9f4d5158');
  });

  it('decodes the same frames however the bytes are split', () => {
    const frameArb = fc.record({
      opcode: fc.constantFrom(0, 1, 2, 8, 9, 10),
      fin: fc.boolean(),
      rsv: fc.integer({ min: 0, max: 7 }),
      payload: fc.uint8Array({ maxLength: 300 }),
      masked: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 8 }), (frames, cuts) => {
        const bytes = Buffer.concat(frames.map((f: FrameSpec & { masked: boolean }) => encodeFrame(f, f.masked ? Buffer.from([1, 2, 3, 4]) : null)));
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const reader = new FrameReader();
        const decoded = [];
        let from = 0;
        for (const to of [...points, bytes.length]) {
          decoded.push(...reader.push(bytes.subarray(from, to)));
          from = to;
        }
        expect(decoded.map((d) => ({ opcode: d.opcode, fin: d.fin, rsv: d.rsv, masked: d.masked, payload: new Uint8Array(d.payload) }))).toEqual(
          frames.map((f) => ({ opcode: f.opcode, fin: f.fin, rsv: f.rsv, masked: f.masked, payload: f.payload })),
        );
      }),
    );
  });

  it('reports lengths that are not minimally encoded, and refuses a 64-bit length with the top bit set', () => {
    const [frame] = new FrameReader().push(Buffer.from('817e0003616263', 'hex'));
    expect(frame!.encodingError).toMatch(/length 3 in a 16-bit field/);
    expect(() => new FrameReader().push(Buffer.from('827f8000000000000000', 'hex'))).toThrow(/most significant bit/);
  });
});

describe('UTF-8 oracle', () => {
  it.each([
    ['48656c6c6f', -1, 'valid'],
    ['cebae1bdb9cf83cebcceb5f4908080', 12, 'fails at the byte that makes a code point above U+10FFFF'],
    ['e080', 1, 'fails at the second byte of an overlong 3-byte form'],
    ['eda080', 1, 'fails at the second byte of a surrogate'],
    ['c0af', 0, 'fails at C0, which only starts overlong forms'],
    ['f5', 0, 'fails at F5, which never appears'],
    ['cebae1bd', 4, 'is cut short: fails only at the end'],
  ])('%s %s', (hex, index) => {
    expect(utf8FailIndex(Buffer.from(hex, 'hex'))).toBe(index);
  });
});

/**
 * The `ws` client as a client testee: it echoes every message with its type. It ends TCP as soon as
 * the closing handshake is over, which §7.1.1 allows (MAY); our client waits for the server.
 */
const wsClient = clientTestee(
  'ws client',
  (url) => {
    const ws = new WebSocket(url, { maxPayload: 0 });
    ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }));
    ws.on('error', () => {}); // it fails the connection with the right code; the case checks that
  },
  { clientMayCloseTcpFirst: true },
);

// Cases on which `ws` differs from the RFC's strictest reading are left out: it answers only the
// first 60 pings of a burst (2.4 sweep), and it checks UTF-8 when a message ends, not as bytes come.
const bothRoles = [
  ...framingCases.filter((c) => !c.title.includes('1-byte TCP chops') || c.title.includes(' 125 bytes')),
  ...pingCases.filter((c) => !c.title.includes('every payload length')),
  ...fragmentationCases,
  ...closeCases.filter((c) => /^7\.(1|3|5|7)\./.test(c.id)),
  ...utf8Cases.filter((c) => /^6\.(1|2)\./.test(c.id) || c.id === '6.3.1' || (/^6\.(5|7|12|19|20)\./.test(c.id) && c.title.includes('in one frame'))),
];

runCases('the same case tables with the peer as server (the ws client as testee)', wsClient, bothRoles);
