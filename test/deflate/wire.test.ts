/**
 * permessage-deflate rules broken on the wire by a raw client, and hostile compressed input.
 */
import { randomBytes } from 'node:crypto';
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Conn } from '../../src/index.js';
import { RawClient, clientFrame } from '../helpers/raw-client.js';
import { deferred, echo, onCleanup, rawServer } from '../helpers/servers.js';

const SYNC = { finishFlush: constants.Z_SYNC_FLUSH };
/** A message compressed as RFC 7692 §7.2.1 says: deflate, sync flush, drop the last 4 bytes. */
const compress = (data: Buffer): Buffer => {
  const out = deflateRawSync(data, SYNC);
  return out.subarray(0, out.length - 4);
};
const inflate = (data: Buffer): Buffer => inflateRawSync(Buffer.concat([data, Buffer.from([0, 0, 0xff, 0xff])]), SYNC);

async function deflateClient(options = {}, handler: (conn: Conn) => void | Promise<void> = echo): Promise<RawClient> {
  const server = await rawServer(handler, { enableCompression: { threshold: 0 }, ...options });
  const client = await RawClient.connect(server.port);
  onCleanup(() => client.destroy());
  client.write(
    [
      'GET / HTTP/1.1',
      'Host: 127.0.0.1',
      'Upgrade: websocket',
      'Connection: Upgrade',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      'Sec-WebSocket-Version: 13',
      'Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover',
      '',
      '',
    ].join('\r\n'),
  );
  const head = await client.readHead();
  expect(head).toContain('Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n');
  return client;
}

/**
 * A compressing server whose connection reads messages as text until a read throws, and a raw
 * client (permessage-deflate, context takeover) connected to it. `seen`: the texts, then the error.
 */
async function readUntilError(): Promise<{ client: RawClient; seen: Promise<unknown[]> }> {
  const got = deferred<unknown[]>();
  const server = await rawServer(
    async (conn) => {
      const seen: unknown[] = [];
      try {
        for (;;) seen.push((await conn.readMessage()).data.toString());
      } catch (err) {
        seen.push(err);
      }
      got.resolve(seen);
    },
    { enableCompression: { threshold: 0 } },
  );
  const client = await RawClient.open(server.port, '/', ['Sec-WebSocket-Extensions: permessage-deflate']);
  onCleanup(() => client.destroy());
  return { client, seen: got.promise };
}

describe('permessage-deflate on the wire', () => {
  it('inflates a compressed message and answers compressed (RSV1 on the first frame only)', async () => {
    const client = await deflateClient();
    client.send({ opcode: 1, rsv1: true, payload: compress(Buffer.from('Hello')) });
    const frame = await client.nextFrame();
    expect(frame).toMatchObject({ opcode: 1, rsv1: true, fin: true });
    expect(inflate(frame.payload).toString()).toBe('Hello');
  });

  it('reassembles a compressed message split over fragments', async () => {
    const client = await deflateClient();
    const payload = compress(Buffer.from('fragmented and compressed '.repeat(20)));
    client.send({ opcode: 1, rsv1: true, fin: false, payload: payload.subarray(0, 5) });
    client.send({ opcode: 0, fin: false, payload: payload.subarray(5, 9) });
    client.send({ opcode: 0, fin: true, payload: payload.subarray(9) });
    expect(inflate((await client.nextFrame()).payload).toString()).toBe('fragmented and compressed '.repeat(20));
  });

  it('accepts an empty payload with RSV1 set, and sends an empty message as 0x00', async () => {
    const client = await deflateClient();
    client.send({ opcode: 2, rsv1: true });
    const frame = await client.nextFrame();
    expect(frame).toMatchObject({ opcode: 2, rsv1: true });
    expect(frame.payload).toEqual(Buffer.from([0x00]));
    expect(inflate(frame.payload).length).toBe(0);
  });

  it('delivers a compressed message that arrives together with the close frame, before the CloseError', async () => {
    const { client, seen: got } = await readUntilError();
    const text = 'still inflating when the close arrives '.repeat(3000);
    client.write(
      Buffer.concat([
        clientFrame({ opcode: 1, rsv1: true, payload: compress(Buffer.from(text)) }),
        clientFrame({ opcode: 8, payload: Buffer.from([0x03, 0xe8]) }),
      ]),
    );
    const seen = await got;
    expect(seen[0]).toBe(text);
    expect(seen[1]).toMatchObject({ name: 'CloseError', code: 1000 });
  });

  it('fails RSV1 on a continuation frame with 1002', async () => {
    const client = await deflateClient();
    const payload = compress(Buffer.from('abcdef'));
    client.send({ opcode: 1, rsv1: true, fin: false, payload: payload.subarray(0, 2) });
    client.send({ opcode: 0, rsv1: true, payload: payload.subarray(2) });
    expect(await client.closeCode()).toBe(1002);
  });

  it('fails RSV1 on a control frame with 1002', async () => {
    const client = await deflateClient();
    client.send({ opcode: 9, rsv1: true, payload: Buffer.from('p') });
    expect(await client.closeCode()).toBe(1002);
  });

  it('fails data that is not valid DEFLATE with 1007', async () => {
    const client = await deflateClient();
    client.send({ opcode: 2, rsv1: true, payload: Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00]) });
    expect(await client.closeCode()).toBe(1007);
  });

  it('fails data that is not valid DEFLATE with 1007 in the first fragment, without waiting for the last', async () => {
    // Found by the fuzzer: a small message was inflated only once whole, so a peer that sent a bad
    // first fragment and then waited for the close frame waited forever.
    const client = await deflateClient();
    client.send({ opcode: 1, rsv1: true, fin: false, payload: Buffer.from([0x56]) }); // block type 11: reserved
    expect(await client.closeCode()).toBe(1007);
  });

  it('hands a reader the part of a small compressed message that has come, before the rest', async () => {
    const firstPiece = deferred<string>();
    const client = await deflateClient({}, async (conn) => {
      const reader = await conn.nextReader();
      firstPiece.resolve((await reader.read())!.toString());
      await reader.buffer();
    });
    // A sync-flushed first fragment inflates to its text on its own; the message is not over.
    const first = deflateRawSync(Buffer.from('the first half'), SYNC);
    client.send({ opcode: 1, rsv1: true, fin: false, payload: first });
    expect(await firstPiece.promise).toBe('the first half');
  });

  it('ends a message whose DEFLATE stream ended (a final block) in its first fragment, then goes on', async () => {
    const firstPiece = deferred();
    const client = await deflateClient({}, async (conn) => {
      const reader = await conn.nextReader();
      const pieces = [(await reader.read())!];
      firstPiece.resolve(); // inflated before the message's last fragment was sent
      pieces.push(await reader.buffer());
      await conn.writeMessage(1, Buffer.concat(pieces));
      await echo(conn);
    });
    const final = deflateRawSync(Buffer.from('ended early')); // BFINAL set (RFC 7692 §7.2.3.4 allows it)
    client.send({ opcode: 1, rsv1: true, fin: false, payload: final });
    await firstPiece.promise;
    client.send({ opcode: 0, fin: true, payload: Buffer.alloc(0) });
    expect(inflate((await client.nextFrame()).payload).toString()).toBe('ended early');
    client.send({ opcode: 1, rsv1: true, payload: compress(Buffer.from('and the next one')) });
    expect(inflate((await client.nextFrame()).payload).toString()).toBe('and the next one');
  });

  it('fails a compressed text message that inflates to invalid UTF-8 with 1007', async () => {
    const client = await deflateClient();
    client.send({ opcode: 1, rsv1: true, payload: compress(Buffer.from([0x41, 0xed, 0xa0, 0x80])) });
    expect(await client.closeCode()).toBe(1007);
  });

  it('deflate bomb: a small frame that would inflate past the read limit fails with 1009, as it inflates', async () => {
    const client = await deflateClient({ readLimit: 1024 * 1024 });
    const bomb = compress(Buffer.alloc(200 * 1024 * 1024)); // 200 MiB of zeros
    expect(bomb.length).toBeLessThan(256 * 1024);
    const before = process.memoryUsage().rss;
    client.send({ opcode: 2, rsv1: true, payload: bomb });
    expect(await client.closeCode(20_000)).toBe(1009);
    // Nothing like 200 MiB was ever held: inflation stopped just past the limit.
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
    await client.waitClosed();
  });

  it('keeps compressing with context takeover when the client allows it', async () => {
    const server = await rawServer(echo, { enableCompression: { threshold: 0 } });
    const client = await RawClient.open(server.port, '/', ['Sec-WebSocket-Extensions: permessage-deflate']);
    onCleanup(() => client.destroy());
    const text = Buffer.from('the same sentence, over and over. '.repeat(10));
    const sizes: number[] = [];
    let window = Buffer.alloc(0);
    for (let i = 0; i < 3; i++) {
      client.send({ opcode: 1, rsv1: true, payload: compress(text) });
      const frame = await client.nextFrame();
      sizes.push(frame.payload.length);
      // Inflate with the previous output as dictionary: what a context-keeping inflater sees.
      const full = inflateRawSync(Buffer.concat([frame.payload, Buffer.from([0, 0, 0xff, 0xff])]), { ...SYNC, dictionary: window.length > 0 ? window : undefined });
      expect(full.toString()).toBe(text.toString());
      window = Buffer.concat([window, full]).subarray(-32768);
    }
    expect(sizes[1]!).toBeLessThan(sizes[0]! / 3);
  });
});

describe('read backpressure with compressed messages', () => {
  it('a reader that keeps up holds about readBufferSize while messages wait to be inflated', async () => {
    const readBufferSize = 16 * 1024;
    const count = 3000;
    // Different text per message (hex of random bytes) so that each compresses to about half.
    const texts = Array.from({ length: count }, (_, i) => `${i}:${randomBytes(512).toString('hex')}`);
    const result = deferred<{ maxBuffered: number; seen: string[] }>();
    const client = await deflateClient({ readBufferSize }, async (conn) => {
      let maxBuffered = 0;
      const seen: string[] = [];
      for (let i = 0; i < count; i++) {
        seen.push((await conn.readMessage()).data.toString());
        maxBuffered = Math.max(maxBuffered, conn.readBufferedAmount);
      }
      result.resolve({ maxBuffered, seen });
    });
    // All of it in one burst, about 1.6 MiB: far faster than zlib's thread pool inflates it.
    client.write(Buffer.concat(texts.map((t) => clientFrame({ opcode: 1, rsv1: true, payload: compress(Buffer.from(t)) }))));
    const { maxBuffered, seen } = await result.promise;
    expect(seen).toEqual(texts);
    // One socket read (at most 64 KiB) can land after the pause decision.
    expect(maxBuffered).toBeLessThanOrEqual(readBufferSize + 64 * 1024 + 2048);
  });
});

describe('a compressed message that fails to inflate', () => {
  it('is not followed by the messages that came after it, though those before it are delivered', async () => {
    const { client, seen: got } = await readUntilError();
    client.write(
      Buffer.concat([
        clientFrame({ opcode: 1, payload: Buffer.from('before') }),
        clientFrame({ opcode: 1, rsv1: true, payload: Buffer.from([0xff, 0xff, 0xff]) }), // not DEFLATE
        clientFrame({ opcode: 1, payload: Buffer.from('after') }),
      ]),
    );
    expect(await client.closeCode()).toBe(1007);
    const seen = await got;
    expect(seen[0]).toBe('before');
    expect(seen[1]).toMatchObject({ name: 'ProtocolError', closeCode: 1007 });
    expect(seen).toHaveLength(2);
  });
});
