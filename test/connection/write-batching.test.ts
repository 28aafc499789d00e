/**
 * Writes made in one tick leave in one transport write, even when they fill several
 * `writeBufferSize` regions (an echo answering a 64 KiB read used to make four system calls); only
 * a batch past the high-water mark is flushed early. Seen from a transport that records each write.
 */
import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Conn } from '../../src/connection/conn.js';
import { clientFrame } from '../helpers/raw-client.js';
import { decodeFrames } from '../helpers/recorder.js';

/** A transport that takes everything at once and records the chunks of each write call. */
function recordingTransport(): { transport: Duplex; writes: Buffer[][] } {
  const writes: Buffer[][] = [];
  const transport = new Duplex({
    read() {},
    writev(chunks, callback) {
      writes.push(chunks.map((c) => c.chunk as Buffer));
      callback();
    },
    write(chunk: Buffer, _encoding, callback) {
      writes.push([chunk]);
      callback();
    },
  });
  return { transport, writes };
}

const nextTick = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

function payloads(count: number, size: number): Buffer[] {
  return Array.from({ length: count }, (_, i) => Buffer.alloc(size, i));
}

describe('write batching', () => {
  it('a tick of small writes filling several write-buffer regions leaves in one transport write', async () => {
    const { transport, writes } = recordingTransport();
    const conn = new Conn({ role: 'server', socket: transport, writeBufferSize: 4096, writeHighWaterMark: 64 * 1024 });
    const sent = payloads(40, 1000); // 40 KB of frames: ten regions of 4 KiB
    const done = sent.map((p) => conn.writeMessage(2, p));
    expect(writes).toHaveLength(0); // nothing before the tick ends
    await nextTick();
    expect(writes).toHaveLength(1);
    expect(writes[0]!.length).toBeGreaterThan(1);
    await Promise.all(done);
    const frames = decodeFrames(writes.flat());
    expect(frames.map((f) => Buffer.from(f.payload))).toEqual(sent);
    conn.closeNow();
  });

  it('what a forEachMessage handler answers to a read leaves in one write before the data event returns', async () => {
    const { transport, writes } = recordingTransport();
    const conn = new Conn({ role: 'server', socket: transport });
    const done = conn.forEachMessage(({ type, data }, c) => c.writeMessage(type, data));
    await nextTick();
    await nextTick(); // the transport is flowing: a push is emitted as 'data' at once
    const sent = payloads(50, 30);
    transport.push(Buffer.concat([...sent.map((p) => clientFrame({ opcode: 2, payload: p })), clientFrame({ opcode: 9, payload: Buffer.from('p') })]));
    expect(writes).toHaveLength(1); // the echoes and the pong, flushed at the end of the event
    const frames = decodeFrames(writes.flat());
    expect(frames.filter((f) => f.opcode === 2).map((f) => Buffer.from(f.payload))).toEqual(sent);
    expect(frames.filter((f) => f.opcode === 10)).toHaveLength(1);
    await nextTick();
    expect(writes).toHaveLength(1); // and nothing left for the tick callback
    conn.closeNow();
    await done;
  });

  it('a batch past the high-water mark goes at once, in order, without waiting for the tick', async () => {
    const { transport, writes } = recordingTransport();
    const conn = new Conn({ role: 'server', socket: transport, writeBufferSize: 4096, writeHighWaterMark: 16 * 1024 });
    const sent = payloads(40, 1000);
    const done = sent.map((p) => conn.writeMessage(2, p));
    expect(writes.length).toBeGreaterThanOrEqual(2); // 40 KB over a 16 KiB mark: flushed as it grew
    await nextTick();
    await Promise.all(done);
    expect(writes.flat().reduce((n, c) => n + c.length, 0)).toBe(40 * (1000 + 4));
    expect(decodeFrames(writes.flat()).map((f) => Buffer.from(f.payload))).toEqual(sent);
    conn.closeNow();
  });
});
