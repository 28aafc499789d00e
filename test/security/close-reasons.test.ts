/**
 * Close reasons never leak uninitialised memory: every close frame the server sends carries
 * exactly its code and the intended reason, whatever the reason's length, whatever was written
 * just before it, and after the process's memory has been dirtied with a marker byte (frames are
 * built in buffers from `allocUnsafe`-style slabs; a length mistake would show the marker).
 */
import { describe, expect, it } from 'vitest';
import { CloseMessage, type Conn, formatCloseMessage } from '../../src/index.js';
import { truncateCloseReason } from '../../src/protocol/close.js';
import { RawClient, type ReceivedFrame, upgradeRequest } from '../helpers/raw-client.js';
import { deferred, onCleanup } from '../helpers/servers.js';
import { forceGc } from './support/memory.js';
import { expectClose, guardProcess, openClient, startTarget } from './support/target.js';

const MARKER = 0xaa;

/** Fills freed memory with the marker, so that stale bytes, if any were sent, would be seen. */
function dirtyMemory(): void {
  let junk: Buffer[] | null = Array.from({ length: 64 }, () => Buffer.allocUnsafeSlow(64 * 1024).fill(MARKER));
  junk.push(...Array.from({ length: 256 }, () => Buffer.allocUnsafe(2048).fill(MARKER)));
  junk = null;
  forceGc();
}

/** A reason of `length` bytes: ASCII, or two-byte characters with an ASCII byte to make up odd lengths. */
function reasonOf(length: number, wide: boolean): string {
  if (!wide) return 'r'.repeat(length);
  return 'é'.repeat(Math.floor(length / 2)) + (length % 2 === 1 ? 'x' : '');
}

async function nextClose(client: RawClient): Promise<{ frames: ReceivedFrame[]; close: ReceivedFrame }> {
  const frames: ReceivedFrame[] = [];
  for (;;) {
    const frame = await client.nextFrame(10_000);
    if (frame.opcode === 0x8) return { frames, close: frame };
    frames.push(frame);
  }
}

const expected = (code: number, reason: string): Buffer => {
  const out = Buffer.alloc(2);
  out.writeUInt16BE(code);
  return Buffer.concat([out, Buffer.from(reason, 'utf8')]);
};

describe('close reasons never leak uninitialised memory', () => {
  it('close(code, reason) for every reason length 0..123, ASCII and multi-byte, after messages of varied sizes', async () => {
    guardProcess();
    const plans = new Map<number, { code: number; reason: string; sizes: number[] }>();
    const target = await startTarget({}, async (conn: Conn) => {
      const plan = plans.get(conn.remoteAddress!.port)!;
      // Messages of varied sizes go into the shared write slabs right before the close frame.
      for (const size of plan.sizes) void conn.writeMessage(2, Buffer.alloc(size, size & 0xff));
      await conn.close(plan.code, plan.reason);
    });
    let checked = 0;
    for (const wide of [false, true]) {
      for (let length = 0; length <= 123; length++) {
        if (length % 16 === 0) dirtyMemory();
        const client = await RawClient.connect(target.port);
        onCleanup(() => client.destroy());
        const code = 3000 + length;
        const reason = reasonOf(length, wide);
        plans.set(client.socket.localPort!, { code, reason, sizes: [length % 7, 100 + length, length * 37] });
        client.write(upgradeRequest());
        expect(await client.readHead()).toMatch(/^HTTP\/1\.1 101 /);
        const { frames, close } = await nextClose(client);
        expect(frames.map((f) => f.payload.length)).toEqual([length % 7, 100 + length, length * 37]);
        for (const f of frames) expect(f.payload.every((b) => b === (f.payload.length & 0xff))).toBe(true);
        expect(close.payload).toEqual(expected(code, reason));
        client.send({ opcode: 8, payload: close.payload.subarray(0, 2) });
        await client.waitClosed(10_000);
        client.destroy();
        checked++;
      }
    }
    expect(checked).toBe(248);
  });

  it('writeControl(CloseMessage, formatCloseMessage(...)) sends exactly the formatted payload', async () => {
    guardProcess();
    const done = deferred();
    const target = await startTarget({}, async (conn) => {
      const { data } = await conn.readMessage();
      const length = Number(data.toString());
      await conn.writeControl(CloseMessage, formatCloseMessage(4000, reasonOf(length, length % 3 === 0)));
      await conn.closed;
      done.resolve();
    });
    for (const length of [0, 1, 2, 61, 62, 122, 123]) {
      dirtyMemory();
      const client = await openClient(target);
      client.send({ opcode: 1, payload: Buffer.from(String(length)) });
      const { close } = await nextClose(client);
      expect(close.payload).toEqual(expected(4000, reasonOf(length, length % 3 === 0)));
      client.send({ opcode: 8 });
      await client.waitClosed(10_000);
    }
    await done.promise;
  });

  it('echoing the peer’s close sends the code alone, never the peer’s reason or anything after it', async () => {
    guardProcess();
    const target = await startTarget();
    for (const reason of ['', 'x', 'a reason the server must not copy', 'é'.repeat(61)]) {
      dirtyMemory();
      const client = await openClient(target);
      client.send({ opcode: 8, payload: expected(4321, reason) });
      const { close } = await nextClose(client);
      expect(close.payload).toEqual(expected(4321, ''));
      await client.waitClosed(10_000);
    }
  });

  it('a long error message becomes a reason cut at 123 bytes on a character boundary', async () => {
    guardProcess();
    const message = 'é'.repeat(100); // 200 bytes
    const target = await startTarget({}, async (conn) => {
      conn.setPingHandler(() => {
        throw new Error(message);
      });
      await conn.readMessage();
    });
    const client = await openClient(target);
    client.send({ opcode: 9, payload: Buffer.from('boom') });
    const { close } = await nextClose(client);
    const reason = truncateCloseReason(message);
    expect(Buffer.byteLength(reason)).toBe(122);
    expect(close.payload).toEqual(expected(1011, reason));
  });

  it('protocol errors carry their own message as the reason, exactly', async () => {
    guardProcess();
    const target = await startTarget({ readLimit: 1000 });
    const attacks: Array<[(c: RawClient) => void, number]> = [
      [(c) => c.send({ opcode: 2, payload: Buffer.alloc(1001) }), 1009],
      [(c) => c.send({ opcode: 1, payload: Buffer.from([0xff]) }), 1007],
      [(c) => c.send({ opcode: 0x3 }), 1002],
      [(c) => c.send({ opcode: 8, payload: Buffer.from([0x03, 0xed]) }), 1002],
      [(c) => c.write(Buffer.from([0x81, 0x01, 0x41])), 1002], // unmasked
    ];
    for (const [attack, code] of attacks) {
      dirtyMemory();
      const client = await openClient(target);
      attack(client);
      const close = await expectClose(target, client, code);
      expect(close.payload.includes(MARKER)).toBe(false);
      expect(close.payload.length).toBeGreaterThan(2); // a reason was given, and checked byte for byte
    }
  });
});
