/**
 * The frame inspector's decoding and formatting, on bytes made here: previews, frame lines, the
 * per-direction inflater (context takeover), the handshake, and that the bytes shown are never
 * the bytes changed.
 */
import { constants, createDeflateRaw, deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../../src/protocol/frame.js';
import { computeAccept } from '../../src/protocol/handshake.js';
import { formatFrame, formatHeadLine, opcodeName } from '../../scripts/trace/format.js';
import { FrameStream } from '../../scripts/trace/frame-stream.js';
import { OrderedOutput } from '../../scripts/trace/ordered-output.js';
import { binaryPreview, closeCodeName, closePreview, controlPreview, quote, textPreview } from '../../scripts/trace/preview.js';
import { TraceSession } from '../../scripts/trace/session.js';

const whole = (total: number) => ({ total, continuation: false, unfinished: false });

describe('payload previews', () => {
  it('shows text quoted and escaped, cut to the preview with the rest counted', () => {
    expect(textPreview(Buffer.from('Hello'), whole(5))).toBe('"Hello"');
    expect(textPreview(Buffer.from('a"b\\c\n\t'), whole(7))).toBe('"a\\"b\\\\c\\n\\t"');
    expect(textPreview(Buffer.from('héllo 👋'), whole(11))).toBe('"héllo 👋"');
    expect(textPreview(Buffer.from('abc'), whole(1000))).toBe('"abc"…(+997 bytes)');
    // Escapes what would change how a terminal shows the line: C1 controls, bidi overrides.
    expect(quote('a\u0085b\u202ec')).toBe('"a\\u0085b\\u202ec"');
  });

  it('never shows half a character: cut by the preview, or by fragmentation', () => {
    const euro = Buffer.from('€'); // e2 82 ac
    const bytes = Buffer.concat([Buffer.from('ab'), euro]);
    expect(textPreview(bytes.subarray(0, 4), whole(5))).toBe('"ab"…(+3 bytes)');
    expect(textPreview(bytes.subarray(0, 4), { total: 4, continuation: false, unfinished: true })).toBe('"ab"…(+2 bytes)');
    expect(textPreview(Buffer.from([0x82, 0xac, 0x41]), { total: 3, continuation: true, unfinished: false })).toBe('…"A"');
  });

  it('shows text that is not UTF-8 as hex, and says so', () => {
    expect(textPreview(Buffer.from([0x41, 0xff, 0x42]), whole(3))).toBe('invalid UTF-8, hex:41 ff 42');
    // A whole frame ending in half a character is invalid when the message ends there.
    expect(textPreview(Buffer.from([0x41, 0xe2, 0x82]), whole(3))).toBe('invalid UTF-8, hex:41 e2 82');
  });

  it('shows binary as hex, and close payloads as code, meaning and reason', () => {
    expect(binaryPreview(Buffer.from([0, 1, 0xfe, 0xff]), 4)).toBe('hex:00 01 fe ff');
    expect(binaryPreview(Buffer.from([0, 1]), 10)).toBe('hex:00 01…(+8 bytes)');
    expect(binaryPreview(Buffer.alloc(0), 0)).toBe('(empty)');
    const close = (code: number, reason = ''): Buffer => Buffer.concat([Buffer.from([code >> 8, code & 0xff]), Buffer.from(reason)]);
    expect(closePreview(close(1000, 'bye'))).toBe('code=1000 (normal closure) reason="bye"');
    expect(closePreview(close(4001))).toBe('code=4001 (private use) reason=""');
    expect(closePreview(Buffer.alloc(0))).toBe('no status code');
    expect(closePreview(Buffer.from([0x03]))).toBe('invalid close payload (close payload of 1 byte), hex:03');
    expect(closePreview(close(1005))).toMatch(/^invalid close payload \(invalid close code 1005\)/);
    expect(closeCodeName(3000)).toBe('registered');
    expect(closeCodeName(2000)).toBe('not a valid code');
    expect(controlPreview(Buffer.from('keepalive'))).toBe('"keepalive"');
    expect(controlPreview(Buffer.from([0x3f, 0xf0, 0, 0, 0, 0, 0, 0]))).toBe('hex:3f f0 00 00 00 00 00 00');
  });
});

describe('frame lines', () => {
  const header = (over: Partial<Parameters<typeof formatFrame>[1]['header']>) => ({
    fin: true, rsv1: false, rsv2: false, rsv3: false, opcode: 1, masked: false, maskKey: 0, payloadLength: 5, headerLength: 2, ...over,
  });

  it('shows direction, FIN, RSV bits, opcode, mask, length and payload', () => {
    expect(formatFrame('client', { header: header({ masked: true, maskKey: 0x0a0b0c0d }), preview: Buffer.from('Hello'), messageOpcode: 1, compressed: false })).toBe(
      'C→S fin=1 rsv=000 text   mask=0a0b0c0d len=5 "Hello"',
    );
    expect(formatFrame('server', { header: header({ fin: false, opcode: 2, payloadLength: 3, rsv2: true }), preview: Buffer.from([1, 2, 3]), messageOpcode: 2, compressed: false })).toBe(
      'S→C fin=0 rsv=010 binary unmasked len=3 hex:01 02 03',
    );
    expect(formatFrame('server', { header: header({ rsv1: true, payloadLength: 2 }), preview: Buffer.from([0xca, 0x48]), messageOpcode: 1, compressed: true })).toBe(
      'S→C fin=1 rsv=100 text   unmasked len=2 deflated hex:ca 48',
    );
    expect(opcodeName(0)).toBe('cont');
    expect(opcodeName(0xb)).toBe('op=0xb');
  });

  it('shows head lines as sent, escaping what is not printable', () => {
    expect(formatHeadLine('client', 'GET /chat HTTP/1.1')).toBe('C→S GET /chat HTTP/1.1');
    expect(formatHeadLine('server', 'X-Odd: \u0001')).toBe('S→C "X-Odd: \\u0001"');
  });
});

describe('OrderedOutput', () => {
  it('holds later lines behind a reserved place until it is filled in', () => {
    const lines: string[] = [];
    const out = new OrderedOutput((l) => lines.push(l));
    out.line('one');
    const fill = out.reserve();
    out.line('three');
    expect(lines).toEqual(['one']);
    fill('two');
    fill('ignored');
    expect(lines).toEqual(['one', 'two', 'three']);
    expect(out.waiting).toBe(0);
  });
});

/** A message compressed on its own (RFC 7692 §7.2.1: sync flush, trailer removed). */
function compressAlone(text: string): Buffer {
  const out = deflateRawSync(Buffer.from(text), { finishFlush: constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4);
}

function stream(from: 'client' | 'server', deflate = false, previewBytes = 64): { s: FrameStream; lines: string[]; out: OrderedOutput } {
  const lines: string[] = [];
  const out = new OrderedOutput((l) => lines.push(l));
  return { s: new FrameStream({ from, previewBytes, deflate, out }), lines, out };
}

const until = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
};

describe('FrameStream', () => {
  it('unmasks client frames for display, whatever the chunking', () => {
    const bytes = Buffer.concat([
      encodeFrame({ opcode: 1, maskKey: 0x11223344, payload: Buffer.from('Hello') }),
      encodeFrame({ opcode: 9, maskKey: 0x55667788, payload: Buffer.from('hi') }),
    ]);
    const { s, lines } = stream('client');
    for (let i = 0; i < bytes.length; i++) s.push(bytes.subarray(i, i + 1)); // one byte at a time
    expect(lines).toEqual(['C→S fin=1 rsv=000 text   mask=11223344 len=5 "Hello"', 'C→S fin=1 rsv=000 ping   mask=55667788 len=2 "hi"']);
  });

  it('follows a fragmented text message across a control frame, and a character split between frames', () => {
    const text = Buffer.from('a€b'); // 61 e2 82 ac 62
    const { s, lines } = stream('server');
    s.push(encodeFrame({ opcode: 1, fin: false, payload: text.subarray(0, 2) }));
    s.push(encodeFrame({ opcode: 0xa, payload: Buffer.alloc(0) }));
    s.push(encodeFrame({ opcode: 0, fin: true, payload: text.subarray(2) }));
    expect(lines).toEqual([
      'S→C fin=0 rsv=000 text   unmasked len=2 "a"…(+1 bytes)',
      'S→C fin=1 rsv=000 pong   unmasked len=0 (empty)',
      'S→C fin=1 rsv=000 cont   unmasked len=3 …"b"',
    ]);
  });

  it('cuts long payloads to the preview size and counts the rest', () => {
    const { s, lines } = stream('server', false, 4);
    s.push(encodeFrame({ opcode: 2, payload: Buffer.alloc(70_000, 0xab) }));
    expect(lines).toEqual(['S→C fin=1 rsv=000 binary unmasked len=70000 hex:ab ab ab ab…(+69996 bytes)']);
  });

  it('inflates compressed messages, fragmented or not, in order, with one inflater per direction', async () => {
    const first = compressAlone('Hello, Hello, Hello!');
    const second = compressAlone('second message');
    const { s, lines, out } = stream('server', true);
    s.push(encodeFrame({ opcode: 1, rsv1: true, payload: first }));
    s.push(encodeFrame({ opcode: 1, rsv1: true, fin: false, payload: second.subarray(0, 3) }));
    s.push(encodeFrame({ opcode: 9, payload: Buffer.from('ping') }));
    s.push(encodeFrame({ opcode: 0, payload: second.subarray(3) }));
    s.push(encodeFrame({ opcode: 2, rsv1: true, payload: Buffer.from([0x00]) })); // an empty message (§7.2.3.6)
    s.push(encodeFrame({ opcode: 1, payload: Buffer.from('plain') })); // RSV1 clear: not compressed
    await until(() => out.waiting === 0);
    expect(lines).toEqual([
      expect.stringMatching(/^S→C fin=1 rsv=100 text   unmasked len=\d+ deflated hex:/),
      `S→C message text, inflated ${first.length} → 20 bytes: "Hello, Hello, Hello!"`,
      expect.stringMatching(/^S→C fin=0 rsv=100 text   unmasked len=3 deflated hex:/),
      'S→C fin=1 rsv=000 ping   unmasked len=4 "ping"',
      expect.stringMatching(/^S→C fin=1 rsv=000 cont   unmasked len=\d+ deflated hex:/),
      `S→C message text, inflated ${second.length} → 14 bytes: "second message"`,
      'S→C fin=1 rsv=100 binary unmasked len=1 deflated hex:00',
      'S→C message binary, inflated 1 → 0 bytes: (empty)',
      'S→C fin=1 rsv=000 text   unmasked len=5 "plain"',
    ]);
  });

  it('keeps the inflater between messages (context takeover)', async () => {
    // One deflate stream for two messages: the second refers back into the first.
    const deflate = createDeflateRaw();
    const chunks: Buffer[] = [];
    deflate.on('data', (c: Buffer) => chunks.push(c));
    const message = async (text: string): Promise<Buffer> => {
      chunks.length = 0;
      deflate.write(text);
      await new Promise<void>((r) => deflate.flush(constants.Z_SYNC_FLUSH, () => r()));
      const out = Buffer.concat(chunks);
      return out.subarray(0, out.length - 4);
    };
    const one = await message('the same words again and again');
    const two = await message('the same words again and again');
    expect(two.length).toBeLessThan(one.length); // only back-references
    const { s, lines, out } = stream('client', true);
    s.push(encodeFrame({ opcode: 1, rsv1: true, maskKey: 1, payload: one }));
    s.push(encodeFrame({ opcode: 1, rsv1: true, maskKey: 2, payload: two }));
    await until(() => out.waiting === 0);
    expect(lines.filter((l) => l.includes('message'))).toEqual([
      `C→S message text, inflated ${one.length} → 30 bytes: "the same words again and again"`,
      `C→S message text, inflated ${two.length} → 30 bytes: "the same words again and again"`,
    ]);
    deflate.close();
  });

  it('says so when compressed data does not inflate, and goes on showing frames', async () => {
    const { s, lines, out } = stream('server', true);
    s.push(encodeFrame({ opcode: 1, rsv1: true, payload: Buffer.from([0xff, 0xff, 0xff]) }));
    await until(() => out.waiting === 0);
    s.push(encodeFrame({ opcode: 1, rsv1: true, payload: Buffer.from([0xca, 0x48]) }));
    s.push(encodeFrame({ opcode: 8, payload: Buffer.from([0x03, 0xe8]) }));
    expect(lines).toEqual([
      'S→C fin=1 rsv=100 text   unmasked len=3 deflated hex:ff ff ff',
      expect.stringMatching(/^S→C message not inflated: \w/),
      'S→C fin=1 rsv=100 text   unmasked len=2 deflated hex:ca 48',
      expect.stringMatching(/^S→C message not inflated: inflate failed earlier \(/),
      'S→C fin=1 rsv=000 close  unmasked len=2 code=1000 (normal closure) reason=""',
    ]);
  });

  it('stops at a header no frame may have (§5.2), and says why', () => {
    const { s, lines } = stream('server');
    s.push(Buffer.from([0x81, 0x7e, 0x00, 0x05])); // 16-bit length for 5 bytes: not minimal
    s.push(encodeFrame({ opcode: 1, payload: Buffer.from('later') }));
    expect(lines).toEqual(['S→C undecodable: frame length not minimally encoded; the rest of this direction is not shown']);
  });

  it('shows reserved opcodes and a connection that ends inside a frame', () => {
    const { s, lines } = stream('server');
    s.push(encodeFrame({ opcode: 0x3, payload: Buffer.from([1]) }));
    s.push(encodeFrame({ opcode: 2, payload: Buffer.alloc(10) }).subarray(0, 5));
    s.end();
    expect(lines).toEqual(['S→C fin=1 rsv=000 op=0x3 unmasked len=1 hex:01', 'S→C connection ended inside a frame (10 bytes announced)']);
  });
});

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const request = (extra = ''): Buffer =>
  Buffer.from(`GET /chat HTTP/1.1\r\nHost: example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`);
const response = (extra = ''): Buffer =>
  Buffer.from(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${computeAccept(KEY)}\r\n${extra}\r\n`);

function session(): { t: TraceSession; lines: string[] } {
  const lines: string[] = [];
  return { t: new TraceSession({ out: new OrderedOutput((l) => lines.push(l)), previewBytes: 64, tag: '[#1] ' }), lines };
}

describe('TraceSession', () => {
  it('prints both heads as sent, then frames, without changing the bytes it is shown', () => {
    const { t, lines } = session();
    const frame = encodeFrame({ opcode: 1, maskKey: 0xdeadbeef, payload: Buffer.from('Hi') });
    const fromClient = Buffer.concat([request(), frame]); // a frame right behind the request
    const copy = Buffer.from(fromClient);
    t.fromClient(fromClient.subarray(0, 20));
    t.fromClient(fromClient.subarray(20));
    t.fromServer(Buffer.concat([response(), encodeFrame({ opcode: 1, payload: Buffer.from('Hi') })]));
    expect(fromClient.equals(copy)).toBe(true); // still masked: a proxy forwards it as it is
    expect(lines).toEqual([
      '[#1] C→S GET /chat HTTP/1.1',
      '[#1] C→S Host: example',
      '[#1] C→S Upgrade: websocket',
      '[#1] C→S Connection: Upgrade',
      `[#1] C→S Sec-WebSocket-Key: ${KEY}`,
      '[#1] C→S Sec-WebSocket-Version: 13',
      '[#1] S→C HTTP/1.1 101 Switching Protocols',
      '[#1] S→C Upgrade: websocket',
      '[#1] S→C Connection: Upgrade',
      `[#1] S→C Sec-WebSocket-Accept: ${computeAccept(KEY)}`,
      '[#1] upgraded: no compression',
      '[#1] C→S fin=1 rsv=000 text   mask=deadbeef len=2 "Hi"',
      '[#1] S→C fin=1 rsv=000 text   unmasked len=2 "Hi"',
    ]);
  });

  it('describes the permessage-deflate agreement', () => {
    const { t, lines } = session();
    t.fromClient(request('Sec-WebSocket-Extensions: permessage-deflate\r\n'));
    t.fromServer(response('Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_max_window_bits=10\r\n'));
    expect(lines.at(-1)).toBe(
      '[#1] upgraded: permessage-deflate (C→S context takeover, window 10 bits; S→C no context takeover, window 15 bits)',
    );
  });

  it('stops decoding a connection that is not upgraded, or not HTTP', () => {
    const refused = session();
    refused.t.fromClient(request());
    refused.t.fromServer(Buffer.from('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n'));
    refused.t.fromServer(encodeFrame({ opcode: 1, payload: Buffer.from('not a frame here') }));
    expect(refused.lines.slice(-3)).toEqual([
      '[#1] S→C HTTP/1.1 403 Forbidden',
      '[#1] S→C Content-Length: 0',
      '[#1] the server answered 403, not 101: not a WebSocket connection, the rest is not decoded',
    ]);
    const garbage = session();
    garbage.t.fromClient(Buffer.from('\x16\x03\x01\x02\x00 TLS?\r\n'));
    expect(garbage.lines).toEqual([expect.stringMatching(/^\[#1\] C→S not an HTTP head \(.*\): the rest is not decoded$/)]);
  });
});
