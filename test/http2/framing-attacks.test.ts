/**
 * The security suite's framing attacks, inside an HTTP/2 stream (RFC 8441): the same bytes get
 * the same close code as over TCP, nothing past the limits is buffered, nothing escapes as an
 * exception, and the attacked stream's session goes on serving its other streams.
 */
import { describe, expect, it } from 'vitest';
import { clientFrame } from '../helpers/raw-client.js';
import { header64, deflateMessage, tinyFragments } from '../security/support/frames.js';
import { guardProcess } from '../security/support/target.js';
import { type H2TestServer, RawStream, connectHeaders, echo, h2Server, h2Session } from './h2-helpers.js';

const MiB = 1024 * 1024;
const LIMIT = MiB;

async function attackStream(server: H2TestServer, extra: Record<string, string> = {}): Promise<{ ws: RawStream; stillServing: () => Promise<void> }> {
  const session = await h2Session(server.port);
  const ws = RawStream.open(session, connectHeaders(server.port, '/', extra));
  expect((await ws.readResponse())[':status']).toBe(200);
  return {
    ws,
    // Another stream of the same session: the attack cost its own stream, nothing more.
    async stillServing() {
      const other = RawStream.open(session, connectHeaders(server.port));
      await other.readResponse();
      other.send({ opcode: 1, payload: Buffer.from('still serving') });
      expect((await other.nextFrame()).payload.toString()).toBe('still serving');
    },
  };
}

async function closeCode(ws: RawStream): Promise<number> {
  for (;;) {
    const frame = await ws.nextFrame();
    if (frame.opcode === 0x8) return frame.payload.readUInt16BE(0);
  }
}

describe('framing attacks inside an HTTP/2 stream', () => {
  const lengths: Array<[string, bigint, number]> = [
    ['the top bit set', 1n << 63n, 1002],
    ['all 64 bits set', (1n << 64n) - 1n, 1002],
    ['2^53', 1n << 53n, 1009],
    ['just above the read limit', BigInt(LIMIT) + 1n, 1009],
    ['a small length not minimally encoded', 125n, 1002],
  ];
  for (const [name, length, code] of lengths) {
    it(`CVE-2020-27813 class: a 64-bit length with ${name} → ${code} from the header alone`, async () => {
      guardProcess();
      const server = await h2Server(echo, { readLimit: LIMIT });
      const { ws, stillServing } = await attackStream(server);
      ws.stream.write(header64(0x82, length));
      expect(await closeCode(ws)).toBe(code);
      expect(server.conns[0]!.readBufferedAmount).toBe(0);
      await stillServing();
    });
  }

  it('payload sent after a refused header is never buffered', async () => {
    guardProcess();
    const server = await h2Server(echo, { readLimit: LIMIT });
    const { ws, stillServing } = await attackStream(server);
    ws.stream.write(Buffer.concat([header64(0x82, BigInt(LIMIT) * 4n), Buffer.alloc(4 * LIMIT)]));
    expect(await closeCode(ws)).toBe(1009);
    expect(server.conns[0]!.readBufferedAmount).toBe(0);
    await stillServing();
  });

  it('a deflate bomb (64 MiB of zeros) → 1009', async () => {
    guardProcess();
    const server = await h2Server(echo, { readLimit: LIMIT, enableCompression: true });
    const { ws, stillServing } = await attackStream(server, { 'sec-websocket-extensions': 'permessage-deflate; client_no_context_takeover; server_no_context_takeover' });
    ws.send({ opcode: 2, rsv1: true, payload: deflateMessage(Buffer.alloc(64 * MiB)) });
    expect(await closeCode(ws)).toBe(1009);
    await stillServing();
  });

  it('a deflate bomb in 1,000 fragments → 1009', async () => {
    guardProcess();
    const server = await h2Server(echo, { readLimit: LIMIT, enableCompression: true });
    const { ws, stillServing } = await attackStream(server, { 'sec-websocket-extensions': 'permessage-deflate' });
    const bomb = deflateMessage(Buffer.alloc(64 * MiB));
    const step = Math.ceil(bomb.length / 1000);
    const frames: Buffer[] = [];
    for (let at = 0; at < bomb.length; at += step) {
      frames.push(clientFrame({ opcode: at === 0 ? 1 : 0, rsv1: at === 0, fin: at + step >= bomb.length, payload: bomb.subarray(at, at + step) }));
    }
    ws.stream.write(Buffer.concat(frames));
    expect(await closeCode(ws)).toBe(1009);
    await stillServing();
  });

  it('a million 1-byte fragments → 1009 before a million, nothing past maxFragments buffered', { timeout: 60_000 }, async () => {
    guardProcess();
    const server = await h2Server(echo);
    const { ws, stillServing } = await attackStream(server);
    ws.stream.write(tinyFragments(1_000_000));
    expect(await closeCode(ws)).toBe(1009);
    expect(server.conns[0]!.readBufferedAmount).toBeLessThanOrEqual(131_072);
    await stillServing();
  });

  it('a frame header cut short by END_STREAM is a 1006 for the application, and the session lives on', async () => {
    guardProcess();
    const server = await h2Server(echo);
    const { ws, stillServing } = await attackStream(server);
    ws.stream.end(Buffer.from([0x82, 0xfe, 0x01]));
    expect((await server.conns[0]!.closed).code).toBe(1006);
    await stillServing();
  });
});
