import { inflateRawSync, constants as zlib } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FrameParser } from '../../src/protocol/parser.js';
import type { FrameHeader } from '../../src/protocol/frame.js';
import { DEFLATE_TAIL, MASK_KEY, batchOf, clientCloseFrame, clientCompressedFrame, clientDataFrame, upgradeRequest } from '../../scripts/bench/loadgen/frames.js';
import { checkResponse, header } from '../../scripts/bench/loadgen/connect.js';
import { binaryPayload, chatMessage, jsonLikePayload } from '../../scripts/bench/loadgen/payloads.js';

function decode(bytes: Buffer): Array<{ header: FrameHeader; payload: Buffer }> {
  const frames: Array<{ header: FrameHeader; payload: Buffer }> = [];
  let pieces: Buffer[] = [];
  let current: FrameHeader | null = null;
  new FrameParser({
    onFrameHeader: (h) => ((current = h), (pieces = [])),
    onFramePayload: (d) => pieces.push(Buffer.from(d)),
    onFrameEnd: () => frames.push({ header: current!, payload: Buffer.concat(pieces) }),
  }).push(Buffer.from(bytes));
  return frames;
}

describe('payloads', () => {
  it('makes JSON-like text and chat messages of exactly the size asked, valid JSON, the same every time', () => {
    for (const size of [2, 100, 1024, 65536]) {
      const json = jsonLikePayload(size);
      expect(json.length).toBe(size);
      expect(() => JSON.parse(json.toString())).not.toThrow();
      expect(json.equals(jsonLikePayload(size))).toBe(true);
    }
    expect(JSON.parse(jsonLikePayload(1024).toString()).length).toBeGreaterThan(3); // real records, not padding
    expect(chatMessage(64).length).toBe(64);
    expect(JSON.parse(chatMessage(64).toString())).toMatchObject({ type: 'chat' });
    expect(() => chatMessage(10)).toThrow(RangeError);
    expect(binaryPayload(1000)).toEqual(binaryPayload(1000));
    expect(new Set(binaryPayload(1000)).size).toBeGreaterThan(200); // not a constant fill
  });
});

describe('pre-encoded client frames', () => {
  it('masks with a non-zero key and carries the payload', () => {
    expect(MASK_KEY).not.toBe(0);
    const [frame] = decode(clientDataFrame(Buffer.from('hello'), 1));
    expect(frame!.header).toMatchObject({ fin: true, opcode: 1, masked: true, maskKey: MASK_KEY });
    expect(frame!.payload.toString()).toBe('hello');
    expect(decode(clientCloseFrame())[0]!.payload).toEqual(Buffer.from([0x03, 0xe8]));
  });

  it('compresses with RSV1 and a fresh context, the sync tail removed (RFC 7692 §7.2.1)', () => {
    const payload = jsonLikePayload(4096);
    const [frame] = decode(clientCompressedFrame(payload));
    expect(frame!.header).toMatchObject({ rsv1: true, opcode: 1, masked: true });
    expect(frame!.payload.length).toBeLessThan(payload.length / 2);
    expect(inflateRawSync(Buffer.concat([frame!.payload, DEFLATE_TAIL]), { finishFlush: zlib.Z_SYNC_FLUSH })).toEqual(payload);
  });

  it('batches whole frames into one buffer', () => {
    const frame = clientDataFrame(Buffer.alloc(30));
    const { batch, frames } = batchOf(frame, 1000);
    expect(frames).toBe(Math.floor(1000 / frame.length));
    expect(decode(batch)).toHaveLength(frames);
    expect(batchOf(frame, 1).batch).toBe(frame);
  });

  it('writes the handshake request, with the deflate offer only when asked', () => {
    const plain = upgradeRequest('127.0.0.1', 9001, false).toString('latin1');
    expect(plain).toMatch(/^GET \/ HTTP\/1\.1\r\nHost: 127\.0\.0\.1:9001\r\n/);
    expect(plain).toContain('Sec-WebSocket-Version: 13\r\n');
    expect(plain.endsWith('\r\n\r\n')).toBe(true);
    expect(plain).not.toContain('permessage-deflate');
    expect(upgradeRequest('h', 1, true).toString('latin1')).toContain('Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover\r\n');
  });

  it('accepts only a 101 with the right accept key', () => {
    const ok = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=';
    expect(checkResponse(ok)).toBeNull();
    expect(checkResponse(ok.replace('101 Switching Protocols', '403 Forbidden'))).toMatch(/expected 101/);
    expect(checkResponse(ok.replace('s3pP', 'XXXX'))).toMatch(/Accept/);
    expect(header(`${ok}\r\nSec-WebSocket-Extensions:  permessage-deflate `, 'sec-websocket-extensions')).toBe('permessage-deflate');
  });
});
