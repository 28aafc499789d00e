/**
 * Regressions for what the fuzzer found (scripts/fuzz), each over a real socket.
 */
import { deflateRawSync, inflateRawSync, constants } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { guardProcess, openClient, startTarget, expectStillServing } from './support/target.js';

const inflate = (data: Buffer): Buffer => inflateRawSync(Buffer.concat([data, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: constants.Z_SYNC_FLUSH });

describe('fuzz findings', () => {
  for (const [name, offer] of [
    ['without context takeover (pooled zlib streams)', 'permessage-deflate; client_no_context_takeover; server_no_context_takeover'],
    ['with context takeover', 'permessage-deflate'],
  ] as const) {
    it(`RFC 7692 §7.2.3.4: messages ending in a final DEFLATE block (BFINAL) inflate one after another, ${name}`, async () => {
      guardProcess();
      const target = await startTarget({ enableCompression: { threshold: 0 } });
      const client = await openClient(target, [`Sec-WebSocket-Extensions: ${offer}`]);
      const texts = ['first', 'second', 'third, and longer: '.repeat(20)];
      // deflateRawSync finishes its stream with BFINAL set, as a sender without sync flush would.
      for (const text of texts) client.send({ opcode: 1, rsv1: true, payload: deflateRawSync(Buffer.from(text)) });
      for (const text of texts) {
        const frame = await client.nextFrame();
        expect(frame.opcode).toBe(1);
        expect((frame.rsv1 ? inflate(frame.payload) : frame.payload).toString()).toBe(text);
      }
      await expectStillServing(target);
    });
  }
});
