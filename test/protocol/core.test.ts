import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CloseSentError, ProtocolError } from '../../src/protocol/errors.js';
import { encodeClosePayload } from '../../src/protocol/close.js';
import { encodeFrame, type FrameInit, Opcode } from '../../src/protocol/frame.js';
import { type WireFrame, chop, closeCodeOf, decodeFrames, makeConnection } from '../helpers/recorder.js';

let keyCounter = 0x12345678;
/** A frame as a client sends it: masked. */
const c = (init: FrameInit): Buffer => encodeFrame({ maskKey: (keyCounter = (keyCounter * 1103515245 + 12345) >>> 0), ...init });
/** A frame as a server sends it: unmasked. */
const s = (init: FrameInit): Buffer => encodeFrame({ maskKey: null, ...init });
/** A whole unmasked server frame, as the tests' codec decodes it: no RSV bit, the shortest length. */
const sent = (opcode: number, payload: Buffer): WireFrame => ({
  fin: true, rsv1: false, rsv2: false, rsv3: false, opcode, masked: false, maskKey: null, payload, minimalLength: true,
});
const text = (t: string): Buffer => Buffer.from(t, 'utf8');

function serverReceiving(bytes: Buffer[], options: Parameters<typeof makeConnection>[0] = { role: 'server' }) {
  const { conn, rec } = makeConnection(options);
  for (const b of bytes) conn.receive(b);
  return { conn, rec, out: conn.takeOutput() };
}

/** Sends `bytes` to a server-role connection and returns the close code it answers with. */
function closeCodeFor(bytes: Buffer[], options?: Parameters<typeof makeConnection>[0]): number | null {
  const { conn, rec, out } = serverReceiving(bytes, options);
  const code = closeCodeOf(out);
  const error = rec.events.find((e) => e.kind === 'error');
  if (code !== null && error !== undefined && error.kind === 'error') expect(error.code).toBe(code);
  expect(conn.failure?.closeCode ?? null).toBe(error?.kind === 'error' ? error.code : null);
  return code;
}

describe('Connection: messages', () => {
  it('delivers a single-frame text message', () => {
    const { rec, out } = serverReceiving([c({ opcode: 1, payload: text('Hello') })]);
    expect(rec.events).toEqual([{ kind: 'message', opcode: 1, compressed: false, data: text('Hello') }]);
    expect(out).toEqual([]);
  });

  it('reassembles a fragmented message with control frames between the fragments', () => {
    const { rec, out } = serverReceiving([
      c({ opcode: 2, fin: false, payload: Buffer.from([1, 2]) }),
      c({ opcode: Opcode.Ping, payload: text('p') }),
      c({ opcode: 0, fin: false, payload: Buffer.from([3]) }),
      c({ opcode: Opcode.Pong, payload: text('q') }),
      c({ opcode: 0, fin: true, payload: Buffer.from([4, 5]) }),
    ]);
    expect(rec.events.map((e) => e.kind)).toEqual(['ping', 'pong', 'message']);
    expect(rec.events[2]).toMatchObject({ opcode: 2, data: Buffer.from([1, 2, 3, 4, 5]) });
    expect(decodeFrames(out)).toEqual([sent(Opcode.Pong, text('p'))]);
  });

  it('delivers empty messages, fragmented or not', () => {
    const { rec } = serverReceiving([
      c({ opcode: 1 }),
      c({ opcode: 2, fin: false }),
      c({ opcode: 0, fin: false }),
      c({ opcode: 0 }),
    ]);
    expect(rec.events).toEqual([
      { kind: 'message', opcode: 1, compressed: false, data: Buffer.alloc(0) },
      { kind: 'message', opcode: 2, compressed: false, data: Buffer.alloc(0) },
    ]);
  });

  it('property: an arbitrary message fragmented arbitrarily, with control frames between, comes back whole', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.uint8Array({ maxLength: 3000 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.array(fc.tuple(fc.constantFrom(Opcode.Ping, Opcode.Pong), fc.uint8Array({ maxLength: 125 })), { maxLength: 10 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (isText, raw, fragmentCuts, controls, tcpCuts) => {
          const payload = isText ? Buffer.from(Buffer.from(raw).toString('utf8'), 'utf8') : Buffer.from(raw);
          const points = [...new Set(fragmentCuts.map((x) => x % (payload.length + 1)))].sort((a, b) => a - b);
          const pieces: Buffer[] = [];
          let prev = 0;
          for (const p of [...points, payload.length]) {
            pieces.push(payload.subarray(prev, p));
            prev = p;
          }
          const frames: Buffer[] = [];
          pieces.forEach((piece, i) => {
            frames.push(c({ opcode: i === 0 ? (isText ? 1 : 2) : 0, fin: i === pieces.length - 1, payload: piece }));
            const control = controls[i];
            if (control !== undefined && i < pieces.length - 1) frames.push(c({ opcode: control[0], payload: control[1] }));
          });
          const bytes = Buffer.concat(frames);
          const { rec } = serverReceiving(chop(bytes, tcpCuts.map((x) => x % (bytes.length + 1))));
          const messages = rec.events.filter((e) => e.kind === 'message');
          expect(messages).toHaveLength(1);
          expect(messages[0]).toMatchObject({ opcode: isText ? 1 : 2, data: payload });
          expect(rec.events.some((e) => e.kind === 'error')).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: arbitrary bytes never throw and only fail with 1002, 1007 or 1009', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 500 }), fc.array(fc.nat(), { maxLength: 10 }), fc.boolean(), (bytes, cuts, client) => {
        const { conn, rec } = makeConnection({ role: client ? 'client' : 'server', maxMessageSize: 200 });
        for (const chunk of chop(Buffer.from(bytes), cuts)) conn.receive(chunk);
        for (const e of rec.events) if (e.kind === 'error') expect([1002, 1007, 1009]).toContain(e.code);
      }),
      { numRuns: 1500 },
    );
  });
});

describe('Connection: framing rules fail with the RFC close code', () => {
  it('§5.1: a server fails an unmasked client frame with 1002', () => {
    expect(closeCodeFor([s({ opcode: 1, payload: text('x') })])).toBe(1002);
  });

  it('§5.1: a client fails a masked server frame with 1002', () => {
    const { conn, rec } = makeConnection({ role: 'client' });
    conn.receive(c({ opcode: 1, payload: text('x') }));
    expect(rec.events).toMatchObject([{ kind: 'error', code: 1002 }]);
    const out = decodeFrames(conn.takeOutput());
    expect(out[0]).toMatchObject({ opcode: 8, masked: true }); // client frames are masked
    expect(out[0]!.payload.readUInt16BE(0)).toBe(1002);
  });

  for (const [bit, init] of [
    ['RSV1', { rsv1: true }],
    ['RSV2', { rsv2: true }],
    ['RSV3', { rsv3: true }],
  ] as const) {
    it(`§5.2: ${bit} without a negotiated extension fails with 1002`, () => {
      expect(closeCodeFor([c({ opcode: 1, payload: text('x'), ...init })])).toBe(1002);
      expect(closeCodeFor([c({ opcode: Opcode.Ping, ...init })])).toBe(1002);
    });
  }

  for (const opcode of [3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf]) {
    it(`§5.2: reserved opcode 0x${opcode.toString(16)} fails with 1002`, () => {
      expect(closeCodeFor([c({ opcode, payload: text('x') })])).toBe(1002);
    });
  }

  it('§5.5: a control frame with 126 bytes of payload fails with 1002; 125 is fine', () => {
    expect(closeCodeFor([c({ opcode: Opcode.Ping, payload: Buffer.alloc(126) })])).toBe(1002);
    const { rec, out } = serverReceiving([c({ opcode: Opcode.Ping, payload: Buffer.alloc(125, 7) })]);
    expect(rec.events).toEqual([{ kind: 'ping', data: Buffer.alloc(125, 7) }]);
    expect(decodeFrames(out)[0]).toMatchObject({ opcode: Opcode.Pong, payload: Buffer.alloc(125, 7) });
  });

  it('§5.5: a fragmented control frame fails with 1002', () => {
    expect(closeCodeFor([c({ opcode: Opcode.Ping, fin: false, payload: text('a') })])).toBe(1002);
    expect(closeCodeFor([c({ opcode: Opcode.Close, fin: false })])).toBe(1002);
  });

  it('§5.4: a continuation frame with nothing to continue fails with 1002', () => {
    expect(closeCodeFor([c({ opcode: 0, payload: text('x') })])).toBe(1002);
    expect(closeCodeFor([c({ opcode: 1, payload: text('done') }), c({ opcode: 0, payload: text('x') })])).toBe(1002);
  });

  it('§5.4: a new data frame inside a fragmented message fails with 1002', () => {
    expect(closeCodeFor([c({ opcode: 1, fin: false, payload: text('a') }), c({ opcode: 1, payload: text('b') })])).toBe(1002);
    expect(closeCodeFor([c({ opcode: 2, fin: false }), c({ opcode: 2, fin: false })])).toBe(1002);
  });

  it('§8.1: invalid UTF-8 fails with 1007 as soon as it is seen, before the message ends', () => {
    const { rec, out } = serverReceiving([
      c({ opcode: 1, fin: false, payload: text('κόσμε') }),
      c({ opcode: 0, fin: false, payload: Buffer.from([0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xed, 0xa0, 0x80]) }),
    ]);
    expect(rec.events).toMatchObject([{ kind: 'error', code: 1007 }]);
    expect(closeCodeOf(out)).toBe(1007);
  });

  it('§8.1: invalid UTF-8 split across TCP chunks inside one frame fails at the bad chunk', () => {
    const frame = c({ opcode: 1, payload: Buffer.concat([text('hello'), Buffer.from([0xf4, 0x90, 0x80, 0x80]), text('world')]) });
    const { conn, rec } = makeConnection({ role: 'server' });
    // Header (6 bytes) + "hello" + F4 90: the F4 90 pair is already impossible.
    conn.receive(frame.subarray(0, 6 + 5 + 2));
    expect(rec.events).toMatchObject([{ kind: 'error', code: 1007 }]);
  });

  it('§8.1: a text message that ends inside a UTF-8 sequence fails with 1007', () => {
    expect(closeCodeFor([c({ opcode: 1, payload: Buffer.from([0x41, 0xe2, 0x82]) })])).toBe(1007);
    expect(closeCodeFor([c({ opcode: 1, fin: false, payload: Buffer.from([0xe2]) }), c({ opcode: 0, payload: Buffer.from([0x82]) })])).toBe(1007);
  });

  it('a UTF-8 sequence split across fragments is fine', () => {
    const euro = text('€');
    const { rec } = serverReceiving([
      c({ opcode: 1, fin: false, payload: euro.subarray(0, 1) }),
      c({ opcode: 0, fin: false, payload: euro.subarray(1, 2) }),
      c({ opcode: 0, payload: euro.subarray(2) }),
    ]);
    expect(rec.events).toMatchObject([{ kind: 'message', data: euro }]);
  });

  it('binary messages are not checked for UTF-8', () => {
    const { rec } = serverReceiving([c({ opcode: 2, payload: Buffer.from([0xff, 0xfe]) })]);
    expect(rec.events).toMatchObject([{ kind: 'message', opcode: 2 }]);
  });
});

describe('Connection: limits', () => {
  it('fails a frame longer than the read limit with 1009 from its header alone', () => {
    const frame = c({ opcode: 2, payload: Buffer.alloc(1001) });
    const { conn, rec } = makeConnection({ role: 'server', maxMessageSize: 1000 });
    conn.receive(frame.subarray(0, 8)); // header only
    expect(rec.events).toMatchObject([{ kind: 'error', code: 1009 }]);
    expect(closeCodeOf(conn.takeOutput())).toBe(1009);
  });

  it('counts all fragments of a message against the read limit', () => {
    const frames = [c({ opcode: 2, fin: false, payload: Buffer.alloc(600) }), c({ opcode: 0, payload: Buffer.alloc(600) })];
    expect(closeCodeFor(frames, { role: 'server', maxMessageSize: 1000 })).toBe(1009);
    expect(closeCodeFor(frames, { role: 'server', maxMessageSize: 1200 })).toBe(null);
  });

  it('rejects a 64-bit length with the top bit set, before buffering (1002)', () => {
    const header = Buffer.from('82ff8000000000000000', 'hex');
    expect(closeCodeFor([Buffer.concat([header, Buffer.alloc(4)])])).toBe(1002);
  });

  it('fails a message with more fragments than allowed with 1009', () => {
    const frames = [c({ opcode: 2, fin: false }), ...Array.from({ length: 10 }, () => c({ opcode: 0, fin: false }))];
    expect(closeCodeFor(frames, { role: 'server', maxFragments: 10 })).toBe(1009);
    expect(closeCodeFor(frames.slice(0, 10), { role: 'server', maxFragments: 10 })).toBe(null);
  });
});

describe('Connection: control frames and closing', () => {
  it('§5.5.2: answers a ping with a pong carrying the same payload', () => {
    const { out } = serverReceiving([c({ opcode: Opcode.Ping, payload: text('abc') })]);
    expect(decodeFrames(out)).toEqual([sent(Opcode.Pong, text('abc'))]);
  });

  it('does not answer pings when autoPong is off', () => {
    const { rec, out } = serverReceiving([c({ opcode: Opcode.Ping, payload: text('abc') })], { role: 'server', autoPong: false });
    expect(rec.events).toEqual([{ kind: 'ping', data: text('abc') }]);
    expect(out).toEqual([]);
  });

  it('ignores unsolicited pongs', () => {
    const { rec, out } = serverReceiving([c({ opcode: Opcode.Pong, payload: text('x') })]);
    expect(rec.events).toEqual([{ kind: 'pong', data: text('x') }]);
    expect(out).toEqual([]);
  });

  it('§5.5.1: answers a close frame with a close frame echoing the code', () => {
    const { conn, rec, out } = serverReceiving([c({ opcode: Opcode.Close, payload: encodeClosePayload(4000, 'bye') })]);
    expect(rec.events).toEqual([{ kind: 'close', code: 4000, reason: 'bye' }]);
    expect(closeCodeOf(out)).toBe(4000);
    expect(conn.isClosed).toBe(true);
  });

  it('answers an empty close frame with an empty close frame', () => {
    const { rec, out } = serverReceiving([c({ opcode: Opcode.Close })]);
    expect(rec.events).toEqual([{ kind: 'close', code: 1005, reason: '' }]);
    expect(decodeFrames(out)).toEqual([sent(8, Buffer.alloc(0))]);
  });

  it('fails invalid close payloads: 1-byte (1002), reserved code (1002), bad UTF-8 reason (1007)', () => {
    expect(closeCodeFor([c({ opcode: 8, payload: Buffer.from([3]) })])).toBe(1002);
    expect(closeCodeFor([c({ opcode: 8, payload: Buffer.from([0x03, 0xee]) })])).toBe(1002); // 1006
    expect(closeCodeFor([c({ opcode: 8, payload: Buffer.from([0x03, 0xe8, 0xff]) })])).toBe(1007);
  });

  it('processes nothing after the close frame, even in the same chunk', () => {
    const chunk = Buffer.concat([c({ opcode: 8, payload: encodeClosePayload(1000) }), c({ opcode: 1, payload: text('late') }), c({ opcode: Opcode.Ping })]);
    const { rec, out } = serverReceiving([chunk, c({ opcode: 1, payload: text('later') })]);
    expect(rec.events).toEqual([{ kind: 'close', code: 1000, reason: '' }]);
    expect(decodeFrames(out).map((f) => f.opcode)).toEqual([8]);
  });

  it('sends nothing after its own close frame', () => {
    const { conn } = makeConnection({ role: 'server' });
    expect(conn.close(1001, 'going')).toBe(true);
    expect(conn.close(1000)).toBe(false);
    expect(() => conn.sender.message(1, text('x'))).toThrow(CloseSentError);
    expect(() => conn.sender.ping()).toThrow(CloseSentError);
    conn.receive(c({ opcode: Opcode.Ping, payload: text('p') })); // not answered
    const frames = decodeFrames(conn.takeOutput());
    expect(frames.map((f) => f.opcode)).toEqual([8]);
    expect(conn.isClosed).toBe(false);
    conn.receive(c({ opcode: 8, payload: encodeClosePayload(1001) }));
    expect(conn.isClosed).toBe(true);
    expect(conn.takeOutput()).toEqual([]); // no second close
  });

  it('still delivers data messages that arrive after its own close frame (§7.1.2 closing handshake)', () => {
    const { conn, rec } = makeConnection({ role: 'server' });
    conn.close(1000);
    conn.receive(c({ opcode: 1, payload: text('in flight') }));
    expect(rec.events).toMatchObject([{ kind: 'message', data: text('in flight') }]);
  });

  it('a failure sends one close frame and stops processing', () => {
    const { conn, rec } = makeConnection({ role: 'server' });
    conn.receive(Buffer.concat([c({ opcode: 3 }), c({ opcode: 1, payload: text('x') })]));
    expect(rec.events).toMatchObject([{ kind: 'error', code: 1002 }]);
    expect(decodeFrames(conn.takeOutput()).map((f) => f.opcode)).toEqual([8]);
    conn.receive(c({ opcode: 1, payload: text('y') }));
    expect(rec.events).toHaveLength(1);
    expect(conn.isClosed).toBe(true);
  });

  it('fail() sends the given code and reports it', () => {
    const { conn, rec } = makeConnection({ role: 'server' });
    const err = conn.fail(new ProtocolError(1009, 'inflated past the limit'));
    expect(err.closeCode).toBe(1009);
    expect(rec.events).toMatchObject([{ kind: 'error', code: 1009 }]);
    expect(closeCodeOf(conn.takeOutput())).toBe(1009);
  });
});

describe('Connection: permessage-deflate bits', () => {
  it('allows RSV1 on the first frame of a data message and reports it as compressed', () => {
    const { rec } = serverReceiving([c({ opcode: 1, rsv1: true, fin: false, payload: Buffer.from([1]) }), c({ opcode: 0, payload: Buffer.from([2]) })], {
      role: 'server',
      compression: true,
    });
    expect(rec.events).toMatchObject([{ kind: 'message', compressed: true, data: Buffer.from([1, 2]) }]);
  });

  it('fails RSV1 on a continuation frame or a control frame with 1002', () => {
    const opts = { role: 'server' as const, compression: true };
    expect(closeCodeFor([c({ opcode: 1, rsv1: true, fin: false }), c({ opcode: 0, rsv1: true })], opts)).toBe(1002);
    expect(closeCodeFor([c({ opcode: Opcode.Ping, rsv1: true })], opts)).toBe(1002);
  });
});

describe('Connection: sending', () => {
  it('frames messages unmasked on the server and masked on the client', () => {
    const server = makeConnection({ role: 'server' }).conn;
    server.sender.message(1, text('hi'));
    expect(Buffer.concat(server.takeOutput())).toEqual(Buffer.from('81026869', 'hex'));

    const client = makeConnection({ role: 'client', maskKeys: { nextKey: () => 0x37fa213d } }).conn;
    client.sender.message(1, text('Hello'));
    expect(Buffer.concat(client.takeOutput())).toEqual(Buffer.from('818537fa213d7f9f4d5158', 'hex'));
  });

  it('enforces fragment order on the sending side', () => {
    const { conn } = makeConnection({ role: 'server' });
    expect(() => conn.sender.frame(0, text('x'), true)).toThrow();
    conn.sender.frame(1, text('a'), false);
    expect(() => conn.sender.message(1, text('b'))).toThrow();
    conn.sender.ping(text('between'));
    conn.sender.frame(0, text('c'), true);
    const frames = decodeFrames(conn.takeOutput());
    expect(frames.map((f) => [f.opcode, f.fin])).toEqual([
      [1, false],
      [9, true],
      [0, true],
    ]);
  });

  it('refuses control payloads over 125 bytes from the caller', () => {
    const { conn } = makeConnection({ role: 'server' });
    expect(() => conn.sender.ping(Buffer.alloc(126))).toThrow(RangeError);
  });

  it('coalesces many small frames into few buffers and passes large payloads by reference', () => {
    const { conn } = makeConnection({ role: 'server', writeBufferSize: 1024 });
    for (let i = 0; i < 100; i++) conn.sender.message(2, Buffer.alloc(8, i));
    const big = Buffer.alloc(5000, 1);
    expect(conn.sender.message(2, big)).toBe(true);
    const out = conn.takeOutput();
    expect(out.length).toBeLessThanOrEqual(4); // 1000 bytes of small frames + header + payload
    expect(out[out.length - 1]).toBe(big);
    const frames = decodeFrames(out);
    expect(frames).toHaveLength(101);
    frames.slice(0, 100).forEach((f, i) => expect(f.payload).toEqual(Buffer.alloc(8, i)));
  });

  it('copies small payloads at once, so the caller may reuse its buffer', () => {
    const { conn } = makeConnection({ role: 'server' });
    const buf = Buffer.from('before');
    conn.sender.message(2, buf);
    buf.write('AFTER!');
    expect(decodeFrames(conn.takeOutput())[0]!.payload.toString()).toBe('before');
  });
});
