/**
 * The server side of RFC 8441 against Node's own `http2` client, driven by hand: the handshake
 * (200, no key or accept, subprotocols, permessage-deflate), the refusals with their statuses, the
 * frames in the stream, and the lifecycle mapping (§5-6): clean close = END_STREAM both ways,
 * failure = RST_STREAM CANCEL, a reset by the peer = 1006, other streams unharmed.
 */
import { constants } from 'node:http2';
import { describe, expect, it } from 'vitest';
import { BinaryMessage, CloseError, TextMessage } from '../../src/index.js';
import { RawStream, connectHeaders, echo, h2Server, h2Session } from './h2-helpers.js';

const OP_TEXT = 0x1;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;

function closePayload(code: number, reason = ''): Buffer {
  const b = Buffer.alloc(2 + Buffer.byteLength(reason));
  b.writeUInt16BE(code, 0);
  b.write(reason, 2);
  return b;
}

describe('WebSocket over an HTTP/2 stream, server side (RFC 8441)', () => {
  it('answers 200 without sec-websocket-accept and echoes text, binary and close', async () => {
    const server = await h2Server(echo);
    const session = await h2Session(server.port);
    const ws = RawStream.open(session, connectHeaders(server.port, '/chat?room=1', { origin: `http://127.0.0.1:${server.port}` }));
    const response = await ws.readResponse();
    expect(response[':status']).toBe(200);
    expect(response['sec-websocket-accept']).toBeUndefined();
    expect(response['upgrade']).toBeUndefined();

    ws.send({ opcode: OP_TEXT, payload: Buffer.from('héllo') });
    const text = await ws.nextFrame();
    expect([text.opcode, text.masked, text.payload.toString()]).toEqual([OP_TEXT, false, 'héllo']);
    ws.send({ opcode: OP_BINARY, payload: Buffer.from([0, 1, 2, 255]) });
    const binary = await ws.nextFrame();
    expect([binary.opcode, [...binary.payload]]).toEqual([OP_BINARY, [0, 1, 2, 255]]);

    const [conn] = server.conns;
    expect(conn!.transport).toBe('h2');
    expect(server.requests[0]).toMatchObject({ method: 'CONNECT', url: '/chat?room=1', host: `127.0.0.1:${server.port}`, transport: 'h2' });
    expect(conn!.remoteAddress?.address).toBe('127.0.0.1');

    ws.send({ opcode: OP_CLOSE, payload: closePayload(1000, 'bye') });
    const close = await ws.nextFrame();
    expect(close.opcode).toBe(OP_CLOSE);
    expect(close.payload.readUInt16BE(0)).toBe(1000);
    // §6: the clean close ends the stream in each direction: the server's END_STREAM, then ours.
    await ws.waitEnded();
    ws.stream.end();
    await ws.waitClosed();
    expect(ws.stream.rstCode).toBe(constants.NGHTTP2_NO_ERROR);
    expect(await conn!.closed).toMatchObject({ code: 1000, reason: 'bye', wasClean: true });
    expect(session.destroyed).toBe(false);
  });

  it('negotiates subprotocols and permessage-deflate as over HTTP/1.1', async () => {
    const server = await h2Server(echo, { subprotocols: ['chat', 'superchat'], enableCompression: true });
    const session = await h2Session(server.port);
    const ws = RawStream.open(
      session,
      connectHeaders(server.port, '/', { 'sec-websocket-protocol': 'superchat, chat', 'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits' }),
    );
    const response = await ws.readResponse();
    expect(response[':status']).toBe(200);
    expect(response['sec-websocket-protocol']).toBe('chat');
    expect(response['sec-websocket-extensions']).toMatch(/^permessage-deflate/);
    const conn = server.conns[0] ?? (await server.nextConn());
    expect(conn.subprotocol).toBe('chat');
    expect(conn.compression).not.toBeNull();
  });

  const refusals: Array<[string, Record<string, string>, number, Record<string, string>]> = [
    ['another version', { 'sec-websocket-version': '8' }, 426, { 'sec-websocket-version': '13' }],
    ['another :protocol', { ':protocol': 'webtransport' }, 501, {}],
    ['a malformed extension offer', { 'sec-websocket-extensions': 'permessage-deflate; =' }, 400, {}],
    ['a malformed subprotocol list', { 'sec-websocket-protocol': 'a b' }, 400, {}],
    ['another origin', { origin: 'https://evil.example' }, 403, {}],
  ];
  for (const [what, extra, status, expected] of refusals) {
    it(`refuses ${what} with ${status}`, async () => {
      const server = await h2Server(echo);
      const session = await h2Session(server.port);
      const ws = RawStream.open(session, connectHeaders(server.port, '/', extra));
      const response = await ws.readResponse();
      expect(response[':status']).toBe(status);
      expect(response).toMatchObject(expected);
      await ws.waitEnded();
      expect(ws.body.toString()).not.toBe('');
      expect(server.conns).toHaveLength(0);
      // The session is not harmed by a refused stream.
      const ok = RawStream.open(session, connectHeaders(server.port));
      expect((await ok.readResponse())[':status']).toBe(200);
    });
  }

  it('refuses a missing sec-websocket-version with 426 and the version header', async () => {
    const server = await h2Server(echo);
    const session = await h2Session(server.port);
    const headers = connectHeaders(server.port);
    delete headers['sec-websocket-version'];
    const ws = RawStream.open(session, headers);
    const response = await ws.readResponse();
    expect([response[':status'], response['sec-websocket-version']]).toEqual([426, '13']);
  });

  it('resets the stream with CANCEL when the connection is dropped, and the session lives on (§6)', async () => {
    const server = await h2Server(echo);
    const session = await h2Session(server.port);
    const first = RawStream.open(session, connectHeaders(server.port));
    await first.readResponse();
    const conn = server.conns[0] ?? (await server.nextConn());
    conn.closeNow();
    await first.waitClosed();
    expect(first.stream.rstCode).toBe(constants.NGHTTP2_CANCEL);
    expect((await conn.closed).code).toBe(1006);

    const second = RawStream.open(session, connectHeaders(server.port));
    await second.readResponse();
    second.send({ opcode: OP_TEXT, payload: Buffer.from('still here') });
    expect((await second.nextFrame()).payload.toString()).toBe('still here');
  });

  it('reports a stream reset by the peer as 1006 to the application, not as an exception', async () => {
    let readError: unknown = null;
    const server = await h2Server(async (conn) => {
      try {
        await conn.readMessage();
      } catch (err) {
        readError = err;
      }
    });
    const session = await h2Session(server.port);
    const ws = RawStream.open(session, connectHeaders(server.port));
    await ws.readResponse();
    const conn = server.conns[0] ?? (await server.nextConn());
    ws.stream.close(constants.NGHTTP2_CANCEL);
    const info = await conn.closed;
    expect(info.code).toBe(1006);
    await expect.poll(() => readError).toBeInstanceOf(CloseError);
    expect((readError as CloseError).code).toBe(1006);
    expect(server.errors).toEqual([]);
  });

  it('fails the connection on a protocol error: close 1002, then the stream ends', async () => {
    const server = await h2Server(echo);
    const session = await h2Session(server.port);
    const ws = RawStream.open(session, connectHeaders(server.port));
    await ws.readResponse();
    // An unmasked client frame (RFC 6455 §5.1) is a protocol error, inside a stream as over TCP.
    ws.stream.write(Buffer.from([0x81, 0x02, 0x68, 0x69]));
    const close = await ws.nextFrame();
    expect([close.opcode, close.payload.readUInt16BE(0)]).toEqual([OP_CLOSE, 1002]);
    ws.send({ opcode: OP_CLOSE, payload: closePayload(1002) });
    await ws.waitEnded();
    ws.stream.end();
    await ws.waitClosed();
    // The close frame went out, so TCP would have closed in order: END_STREAM, not a reset.
    expect(ws.stream.rstCode).toBe(constants.NGHTTP2_NO_ERROR);
    expect((await server.conns[0]!.closed).wasClean).toBe(false);
  });

  it('writes and reads large messages through the flow-controlled stream', async () => {
    const server = await h2Server(async (conn) => {
      const m = await conn.readMessage();
      await conn.writeMessage(BinaryMessage, m.data);
      await conn.writeMessage(TextMessage, `got ${m.data.length}`);
    });
    const session = await h2Session(server.port);
    const ws = RawStream.open(session, connectHeaders(server.port));
    await ws.readResponse();
    const big = Buffer.alloc(1 << 20, 7);
    ws.send({ opcode: OP_BINARY, payload: big });
    const back = await ws.nextFrame();
    expect(back.payload.equals(big)).toBe(true);
    expect((await ws.nextFrame()).payload.toString()).toBe(`got ${big.length}`);
  });
});
