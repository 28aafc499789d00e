/**
 * §5.1 and §5.3 on the wire: every frame the client sends is masked, with keys from a
 * cryptographic source that vary frame to frame, and a masked frame from the server fails the
 * connection.
 */
import { describe, expect, it } from 'vitest';
import { BinaryMessage, Dialer, PingMessage, ProtocolError, TextMessage } from '../../src/index.js';
import { deferred, onCleanup } from '../helpers/servers.js';
import { WireDecoder } from '../helpers/wire/decode.js';
import { encodeWireFrame } from '../helpers/wire/encode.js';
import type { WireFrame } from '../helpers/wire/frame.js';
import { scriptedServer, switching } from './fixtures.js';

/** A server that accepts the upgrade and records every frame the client sends, as sent. */
async function recordingPeer(until: (frames: WireFrame[]) => boolean): Promise<{ port: number; done: Promise<WireFrame[]> }> {
  const done = deferred<WireFrame[]>();
  const frames: WireFrame[] = [];
  const server = await scriptedServer(({ socket, request, rest }) => {
    const decoder = new WireDecoder();
    const take = (bytes: Buffer): void => {
      frames.push(...decoder.push(bytes));
      if (until(frames)) done.resolve(frames);
    };
    socket.write(switching(request));
    if (rest.length > 0) take(rest);
    socket.on('data', take);
    socket.resume();
  });
  return { port: server.port, done: done.promise };
}

describe('client masking on the wire', () => {
  it('masks every frame (data, ping, close) with keys that vary', async () => {
    const count = 200;
    const peer = await recordingPeer((frames) => frames.some((f) => f.opcode === 0x8));
    const { conn } = await new Dialer().dial(`ws://127.0.0.1:${peer.port}/`);
    onCleanup(() => conn.closeNow());
    for (let i = 0; i < count; i++) await conn.writeMessage(i % 2 === 0 ? TextMessage : BinaryMessage, `message ${i}`);
    await conn.writeControl(PingMessage, 'p');
    void conn.close(1000, 'bye');
    const frames = await peer.done;
    expect(frames.length).toBe(count + 2);
    expect(frames.every((f) => f.masked && f.maskKey !== null)).toBe(true);
    // The decoder unmasked the payloads: they are what was sent.
    expect(frames.slice(0, count).map((f) => f.payload.toString())).toEqual(Array.from({ length: count }, (_, i) => `message ${i}`));
    expect(frames[count]!.opcode).toBe(0x9);
    expect(frames[count + 1]!.payload.readUInt16BE(0)).toBe(1000);
    // 202 random 32-bit keys: any repeat is a one-in-ten-million event; a fixed or counting key would show at once.
    const keys = frames.map((f) => f.maskKey!.readUInt32BE(0));
    expect(new Set(keys).size).toBe(keys.length);
    // Nor are they a simple sequence.
    const steps = new Set(keys.slice(1).map((k, i) => (k - keys[i]!) >>> 0));
    expect(steps.size).toBeGreaterThan(keys.length / 2);
  });

  it('sends masked bytes that differ from the payload', async () => {
    const peer = await scriptedServer(({ socket, request }) => {
      socket.write(switching(request));
      socket.resume();
    });
    const { conn } = await new Dialer().dial(`ws://127.0.0.1:${peer.port}/`);
    onCleanup(() => conn.closeNow());
    const raw = deferred<Buffer>();
    let seen = Buffer.alloc(0);
    const payload = Buffer.alloc(64, 0x41);
    peer.connections[0]!.socket.on('data', (d: Buffer) => {
      seen = Buffer.concat([seen, d]);
      if (seen.length >= 2 + 4 + payload.length) raw.resolve(seen);
    });
    await conn.writeMessage(BinaryMessage, payload);
    const bytes = await raw.promise;
    expect(bytes[1]! & 0x80).toBe(0x80); // the MASK bit
    expect(bytes.subarray(6, 6 + payload.length).equals(payload)).toBe(false);
  });
});

describe('frames from the server', () => {
  it('fails the connection with 1002 when the server masks a frame (§5.1)', async () => {
    const closeCode = deferred<number>();
    const peer = await scriptedServer(({ socket, request }) => {
      socket.write(switching(request));
      socket.write(encodeWireFrame({ opcode: 0x1, payload: Buffer.from('masked'), maskKey: Buffer.from([1, 2, 3, 4]) }));
      let seen = Buffer.alloc(0);
      socket.on('data', (d: Buffer) => {
        seen = Buffer.concat([seen, d]);
        if (seen.length >= 8) closeCode.resolve(((seen[6]! ^ seen[2]!) << 8) | (seen[7]! ^ seen[3]!));
      });
      socket.resume();
    });
    const { conn } = await new Dialer().dial(`ws://127.0.0.1:${peer.port}/`);
    onCleanup(() => conn.closeNow());
    const err = await conn.readMessage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).closeCode).toBe(1002);
    expect(await closeCode.promise).toBe(1002);
  });
});
