/**
 * §4.1: every way a server's answer can fail the handshake. Each rejects with a typed error that
 * carries what the server said, and the client closes its socket: nothing is left half-open.
 */
import { describe, expect, it } from 'vitest';
import { BadHandshakeError, Dialer, HANDSHAKE_BODY_LIMIT } from '../../src/index.js';
import type { RequestHead } from '../../src/protocol/http-head.js';
import { acceptFor, scriptedServer, switching } from './fixtures.js';

const head = (lines: string[]): string => [...lines, '', ''].join('\r\n');
const goodHeaders = (r: RequestHead): string[] => ['Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${acceptFor(r)}`];
const swap = (r: RequestHead, name: string, line: string | null): string[] => {
  const kept = goodHeaders(r).filter((l) => !l.toLowerCase().startsWith(name.toLowerCase()));
  return line === null ? kept : [...kept, line];
};

/** Dials a server that answers with `response(request)` and returns the rejection. */
async function failWith(response: (r: RequestHead) => string | Buffer, dialer = new Dialer()): Promise<{ err: unknown; closed: Promise<void> }> {
  const server = await scriptedServer(({ socket, request }) => {
    socket.write(response(request));
    socket.resume(); // read what the client sends, so its close is seen
  });
  const err = await dialer.dial(`ws://127.0.0.1:${server.port}/`).then(
    () => new Error('the dial should have failed'),
    (e: unknown) => e,
  );
  return { err, closed: server.connections[0]!.closed };
}

describe('a 101 response that does not follow §4.1', () => {
  const cases: Array<[string, (r: RequestHead) => string, RegExp]> = [
    ['no Upgrade header', (r) => head(['HTTP/1.1 101 Switching Protocols', ...swap(r, 'Upgrade', null)]), /Upgrade header/],
    ['Upgrade: h2c', (r) => head(['HTTP/1.1 101 Switching Protocols', ...swap(r, 'Upgrade', 'Upgrade: h2c')]), /Upgrade header/],
    ['two Upgrade headers', (r) => head(['HTTP/1.1 101 Switching Protocols', ...goodHeaders(r), 'Upgrade: websocket']), /Upgrade header/],
    ['no Connection header', (r) => head(['HTTP/1.1 101 Switching Protocols', ...swap(r, 'Connection', null)]), /Connection/],
    ['Connection without upgrade', (r) => head(['HTTP/1.1 101 Switching Protocols', ...swap(r, 'Connection', 'Connection: keep-alive')]), /Connection/],
    ['no Sec-WebSocket-Accept', (r) => head(['HTTP/1.1 101 Switching Protocols', ...swap(r, 'Sec-WebSocket-Accept', null)]), /Accept/],
    ['a wrong Sec-WebSocket-Accept', (r) => head(['HTTP/1.1 101 Switching Protocols', ...swap(r, 'Sec-WebSocket-Accept', 'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=')]), /Accept/],
    ['two Sec-WebSocket-Accept', (r) => head(['HTTP/1.1 101 Switching Protocols', ...goodHeaders(r), `Sec-WebSocket-Accept: ${acceptFor(r)}`]), /Accept/],
    ['a subprotocol when none was offered', (r) => switching(r, ['Sec-WebSocket-Protocol: chat']), /subprotocol "chat"/],
    ['two Sec-WebSocket-Protocol headers', (r) => switching(r, ['Sec-WebSocket-Protocol: chat', 'Sec-WebSocket-Protocol: chat']), /more than one/],
    ['an extension that was not offered', (r) => switching(r, ['Sec-WebSocket-Extensions: permessage-deflate']), /extension permessage-deflate/],
    ['a malformed Sec-WebSocket-Extensions', (r) => switching(r, ['Sec-WebSocket-Extensions: ;;']), /malformed Sec-WebSocket-Extensions/],
  ];
  for (const [what, response, message] of cases) {
    it(`fails on ${what} and closes the socket`, async () => {
      const { err, closed } = await failWith(response);
      expect(err).toBeInstanceOf(BadHandshakeError);
      expect((err as BadHandshakeError).status).toBe(101);
      expect((err as BadHandshakeError).message).toMatch(message);
      await closed;
    });
  }

  it('fails on a subprotocol that is not among those offered', async () => {
    const { err, closed } = await failWith((r) => switching(r, ['Sec-WebSocket-Protocol: v3']), new Dialer({ subprotocols: ['v1', 'v2'] }));
    expect(err).toBeInstanceOf(BadHandshakeError);
    expect((err as Error).message).toMatch(/subprotocol "v3", which was not offered/);
    await closed;
  });
});

describe('an answer that is not 101', () => {
  it('carries the status, the headers and the body (Content-Length)', async () => {
    const body = '{"error":"no such room"}';
    const { err, closed } = await failWith(() => head(['HTTP/1.1 404 Not Found', 'Content-Type: application/json', `Content-Length: ${body.length}`]) + body);
    expect(err).toBeInstanceOf(BadHandshakeError);
    const e = err as BadHandshakeError;
    expect(e.status).toBe(404);
    expect(e.message).toMatch(/unexpected status 404 Not Found/);
    expect(e.headers.get('content-type')).toBe('application/json');
    expect(e.body.toString()).toBe(body);
    await closed;
  });

  it(`keeps only the first ${HANDSHAKE_BODY_LIMIT} bytes of a long body`, async () => {
    const body = 'x'.repeat(50_000);
    const { err } = await failWith(() => head(['HTTP/1.1 403 Forbidden', `Content-Length: ${body.length}`]) + body);
    expect((err as BadHandshakeError).body.length).toBe(HANDSHAKE_BODY_LIMIT);
    expect(HANDSHAKE_BODY_LIMIT).toBe(1024);
  });

  it('decodes a chunked body', async () => {
    const { err } = await failWith(() => head(['HTTP/1.1 500 Internal Server Error', 'Transfer-Encoding: chunked']) + '5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n');
    expect((err as BadHandshakeError).status).toBe(500);
    expect((err as BadHandshakeError).body.toString()).toBe('hello, world');
  });

  it('reads a body delimited by the close', async () => {
    const server = await scriptedServer(({ socket }) => {
      socket.end(head(['HTTP/1.1 503 Service Unavailable']) + 'try later');
    });
    const err = await new Dialer().dial(`ws://127.0.0.1:${server.port}/`).catch((e: unknown) => e);
    expect((err as BadHandshakeError).status).toBe(503);
    expect((err as BadHandshakeError).body.toString()).toBe('try later');
  });

  it('does not wait for a body a 204 or 304 cannot have', async () => {
    const { err, closed } = await failWith(() => head(['HTTP/1.1 204 No Content']));
    expect((err as BadHandshakeError).status).toBe(204);
    expect((err as BadHandshakeError).body.length).toBe(0);
    await closed;
  });

  it('gives up on a body that stops coming, returning what came', async () => {
    // Content-Length promises 100 bytes; 4 come, then nothing (the server keeps the socket open).
    const { err, closed } = await failWith(() => head(['HTTP/1.1 401 Unauthorized', 'WWW-Authenticate: Basic', 'Content-Length: 100']) + 'nope');
    expect((err as BadHandshakeError).status).toBe(401);
    expect((err as BadHandshakeError).headers.get('www-authenticate')).toBe('Basic');
    expect((err as BadHandshakeError).body.toString()).toBe('nope');
    await closed;
  });

  it('reports a redirect as a failure when redirects are off (the default)', async () => {
    const { err } = await failWith(() => head(['HTTP/1.1 302 Found', 'Location: ws://elsewhere.example/', 'Content-Length: 0']));
    expect((err as BadHandshakeError).status).toBe(302);
    expect((err as BadHandshakeError).headers.get('location')).toBe('ws://elsewhere.example/');
  });
});

describe('an answer that is not HTTP', () => {
  const cases: Array<[string, () => string | Buffer]> = [
    ['a garbage status line', () => 'SSH-2.0-OpenSSH_9.6\r\n\r\n'],
    ['a status line without a code', () => 'HTTP/1.1 OK\r\n\r\n'],
    ['a header line without a colon', () => 'HTTP/1.1 101 Switching Protocols\r\nUpgrade websocket\r\n\r\n'],
    ['bare LF line endings', () => 'HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\n\n'],
    ['a head over 16 KiB', () => `HTTP/1.1 101 Switching Protocols\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`],
  ];
  for (const [what, response] of cases) {
    it(`fails on ${what} with BadHandshakeError (status 0) and closes`, async () => {
      const { err, closed } = await failWith(response);
      expect(err).toBeInstanceOf(BadHandshakeError);
      expect((err as BadHandshakeError).status).toBe(0);
      expect((err as Error).message).toMatch(/malformed response/);
      await closed;
    });
  }

  it('fails when the server closes before answering', async () => {
    const server = await scriptedServer(({ socket }) => socket.end());
    const err = await new Dialer().dial(`ws://127.0.0.1:${server.port}/`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadHandshakeError);
    expect((err as Error).message).toMatch(/closed before the response/);
  });

  it('fails when the server closes in the middle of the head', async () => {
    const server = await scriptedServer(({ socket }) => socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgr'));
    const err = await new Dialer().dial(`ws://127.0.0.1:${server.port}/`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadHandshakeError);
  });

  it('honours smaller head limits', async () => {
    const { err } = await failWith((r) => switching(r, [`X-Pad: ${'p'.repeat(2000)}`]), new Dialer({ maxHeaderBytes: 1024 }));
    expect(err).toBeInstanceOf(BadHandshakeError);
  });
});
