/**
 * The Dialer against our own server: the round trip, what the request carries (path, query, Host,
 * headers, origin, subprotocols, credentials), IPv6, and options that are refused up front.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  BinaryMessage,
  type Conn,
  DEFAULT_DIAL_TIMEOUT,
  Dialer,
  InvalidHeaderError,
  InvalidUrlError,
  ProtocolError,
  TextMessage,
  type UpgradeRequest,
  serve,
} from '../../src/index.js';
import { deferred, echo, onCleanup, rawServer } from '../helpers/servers.js';
import { loopbackLookup, scriptedServer, switching } from './fixtures.js';

/** A server that records each upgrade request and echoes. */
async function recordingServer(upgrader = {}): Promise<{ url: string; requests: UpgradeRequest[] }> {
  const requests: UpgradeRequest[] = [];
  const server = await rawServer(
    async (conn, request) => {
      requests.push(request);
      await echo(conn);
    },
    { checkOrigin: () => true, ...upgrader },
  );
  return { url: server.url, requests };
}

function closeAfter(conn: Conn): void {
  onCleanup(() => conn.closeNow());
}

describe('Dialer ↔ our server', () => {
  it('dials, echoes text and binary, and closes cleanly', async () => {
    const { url } = await recordingServer();
    const { conn, response } = await new Dialer().dial(url);
    closeAfter(conn);
    expect(response.status).toBe(101);
    expect(response.statusText).toBe('Switching Protocols');
    expect(response.headers.get('upgrade')).toBe('websocket');
    expect(response.url).toBe(`${url}/`);
    expect(conn.role).toBe('client');
    await conn.writeMessage(TextMessage, 'héllo');
    expect(await conn.readMessage()).toEqual({ type: TextMessage, data: Buffer.from('héllo') });
    const big = Buffer.alloc(300_000, 7);
    await conn.writeMessage(BinaryMessage, big);
    const back = await conn.readMessage();
    expect(back.type).toBe(BinaryMessage);
    expect(back.data.equals(big)).toBe(true);
    await conn.close();
    expect(await conn.closed).toEqual({ code: 1000, reason: '', wasClean: true, error: null });
  });

  it('keeps the path and the query, and sends the Host header without a default port', async () => {
    const { url, requests } = await recordingServer();
    const { conn } = await new Dialer().dial(`${url}/chat/room%201?user=a%20b&x=1`);
    closeAfter(conn);
    expect(requests[0]!.url).toBe('/chat/room%201?user=a%20b&x=1');
    expect(requests[0]!.host).toBe(new URL(url).host);
  });

  it('accepts URL objects and http(s) schemes as ws(s)', async () => {
    const { url, requests } = await recordingServer();
    const httpUrl = new URL(url.replace('ws:', 'http:') + '/h');
    const { conn, response } = await new Dialer().dial(httpUrl);
    closeAfter(conn);
    expect(requests[0]!.url).toBe('/h');
    expect(response.url.startsWith('ws:')).toBe(true);
  });

  it('dials an IPv6 literal with the address in brackets in Host', async () => {
    const requests: UpgradeRequest[] = [];
    const server = await serve({ port: 0, host: '::1', onError: () => {} }, async (conn, request) => {
      requests.push(request);
      await echo(conn);
    });
    onCleanup(async () => {
      for (const c of server.connections) c.closeNow();
      await server.close();
    });
    expect(server.url).toBe(`ws://[::1]:${server.port}`);
    const { conn } = await new Dialer().dial(`${server.url}/six`);
    closeAfter(conn);
    expect(requests[0]!.headers.get('host')).toBe(`[::1]:${server.port}`);
    expect(conn.remoteAddress?.family).toBe('IPv6');
    await conn.writeMessage(TextMessage, 'v6');
    expect((await conn.readMessage()).data.toString()).toBe('v6');
  });

  it('negotiates a subprotocol among those offered', async () => {
    const { url, requests } = await recordingServer({ subprotocols: ['v2', 'v1'] });
    const { conn, response } = await new Dialer({ subprotocols: ['v1', 'v2'] }).dial(url);
    closeAfter(conn);
    expect(requests[0]!.subprotocols).toEqual(['v1', 'v2']);
    expect(conn.subprotocol).toBe('v2');
    expect(response.headers.get('sec-websocket-protocol')).toBe('v2');
  });

  it('has no subprotocol when the server picks none', async () => {
    const { url } = await recordingServer();
    const { conn } = await new Dialer({ subprotocols: ['v1'] }).dial(url);
    closeAfter(conn);
    expect(conn.subprotocol).toBe('');
  });

  it('sends no Origin unless set, and the origin option when set', async () => {
    const { url, requests } = await recordingServer();
    const a = await new Dialer().dial(url);
    closeAfter(a.conn);
    const b = await new Dialer({ origin: 'https://app.example' }).dial(url);
    closeAfter(b.conn);
    expect(requests[0]!.headers.has('origin')).toBe(false);
    expect(requests[1]!.origin).toBe('https://app.example');
  });

  it("merges the dialer's headers with dial()'s, dial() winning by name", async () => {
    const { url, requests } = await recordingServer();
    const dialer = new Dialer({ headers: { 'X-Team': 'blue', Cookie: 'a=1', 'X-Multi': ['1', '2'] }, origin: 'https://one.example' });
    const { conn } = await dialer.dial(url, { headers: [['cookie', 'b=2'], ['Origin', 'https://two.example'], ['X-Extra', 'yes']] });
    closeAfter(conn);
    const h = requests[0]!.headers;
    expect(h.get('x-team')).toBe('blue');
    expect(h.getAll('cookie')).toEqual(['b=2']);
    expect(h.getAll('x-multi')).toEqual(['1', '2']);
    expect(h.getAll('origin')).toEqual(['https://two.example']);
    expect(h.get('x-extra')).toBe('yes');
  });

  it('lets a Host header replace the default one', async () => {
    const { url, requests } = await recordingServer();
    const { conn } = await new Dialer().dial(url, { headers: { Host: 'virtual.example' } });
    closeAfter(conn);
    expect(requests[0]!.host).toBe('virtual.example');
  });

  it('turns credentials in the URL into Basic authorization, unless a header sets it', async () => {
    const { url, requests } = await recordingServer();
    const withCreds = url.replace('ws://', 'ws://al%20ice:p%40ss@');
    const a = await new Dialer().dial(withCreds);
    closeAfter(a.conn);
    expect(a.response.url).toBe(`${url}/`); // credentials are not repeated in the response
    expect(requests[0]!.headers.get('authorization')).toBe(`Basic ${Buffer.from('al ice:p@ss').toString('base64')}`);
    const b = await new Dialer().dial(withCreds, { headers: { Authorization: 'Bearer t' } });
    closeAfter(b.conn);
    expect(requests[1]!.headers.getAll('authorization')).toEqual(['Bearer t']);
  });

  it('resolves names with the lookup option', async () => {
    const { url, requests } = await recordingServer();
    const port = new URL(url).port;
    const { conn } = await new Dialer({ lookup: loopbackLookup }).dial(`ws://any-name.test:${port}/`);
    closeAfter(conn);
    expect(requests[0]!.host).toBe(`any-name.test:${port}`);
  });

  it('passes connection limits to the Conn', async () => {
    const server = await rawServer(async (conn) => {
      await conn.writeMessage(BinaryMessage, Buffer.alloc(2000));
      await echo(conn);
    });
    const { conn } = await new Dialer({ readLimit: 1000 }).dial(server.url);
    closeAfter(conn);
    await expect(conn.readMessage()).rejects.toMatchObject({ name: 'ProtocolError', closeCode: 1009 });
  });

  it('keeps bytes the server sent right after its 101 as the first frames', async () => {
    const server = await scriptedServer(({ socket, request }) => {
      // A text frame "early" in the same write as the response head.
      socket.write(Buffer.concat([Buffer.from(switching(request)), Buffer.from([0x81, 5]), Buffer.from('early')]));
      socket.resume();
    });
    const { conn } = await new Dialer().dial(`ws://127.0.0.1:${server.port}/`);
    closeAfter(conn);
    expect((await conn.readMessage()).data.toString()).toBe('early');
  });

  it('runs several dials from one dialer at once', async () => {
    const { url } = await recordingServer();
    const dialer = new Dialer();
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => dialer.dial(`${url}/${i}`)));
    for (const [i, { conn }] of results.entries()) {
      closeAfter(conn);
      await conn.writeMessage(TextMessage, String(i));
      expect((await conn.readMessage()).data.toString()).toBe(String(i));
    }
  });

  it('has a documented default handshake timeout', () => {
    expect(DEFAULT_DIAL_TIMEOUT).toBe(30_000);
  });
});

describe('Dialer refuses what it cannot send', () => {
  for (const name of ['Upgrade', 'Connection', 'Sec-WebSocket-Key', 'Sec-WebSocket-Version', 'Sec-WebSocket-Protocol', 'Sec-WebSocket-Extensions', 'sec-websocket-accept']) {
    it(`refuses a ${name} header in the options and in dial()`, async () => {
      expect(() => new Dialer({ headers: { [name]: 'x' } })).toThrow(InvalidHeaderError);
      await expect(new Dialer().dial('ws://127.0.0.1:1/', { headers: [[name, 'x']] })).rejects.toThrow(InvalidHeaderError);
    });
  }

  it('refuses header values with CR or LF, and names that are not tokens', async () => {
    expect(() => new Dialer({ headers: { 'X-A': 'a\r\nInjected: 1' } })).toThrow(InvalidHeaderError);
    expect(() => new Dialer({ headers: { 'Bad Name': 'a' } })).toThrow(InvalidHeaderError);
    expect(() => new Dialer({ origin: 'http://a\nb' })).toThrow(InvalidHeaderError);
    await expect(new Dialer().dial('ws://127.0.0.1:1/', { headers: { 'X-A': 'a\nb' } })).rejects.toThrow(InvalidHeaderError);
  });

  it('refuses Origin given both as an option and as a header of the dialer', () => {
    expect(() => new Dialer({ origin: 'http://a', headers: { origin: 'http://b' } })).toThrow(InvalidHeaderError);
  });

  it('refuses subprotocols that are not tokens, and nonsense limits', () => {
    expect(() => new Dialer({ subprotocols: ['a b'] })).toThrow(InvalidHeaderError);
    expect(() => new Dialer({ subprotocols: [''] })).toThrow(InvalidHeaderError);
    expect(() => new Dialer({ handshakeTimeout: -1 })).toThrow(RangeError);
    expect(() => new Dialer({ maxRedirects: 1.5 })).toThrow(RangeError);
  });

  for (const url of ['ftp://example.com/', 'not a url', 'ws://example.com/#frag', 'ws://example.com/#', 'ws://']) {
    it(`refuses the URL ${JSON.stringify(url)} with InvalidUrlError`, async () => {
      await expect(new Dialer().dial(url)).rejects.toThrow(InvalidUrlError);
    });
  }

  it('fails with a DialError carrying the code when nothing listens', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    await expect(new Dialer().dial(`ws://127.0.0.1:${port}/`)).rejects.toMatchObject({ name: 'DialError', stage: 'tcp', code: 'ECONNREFUSED' });
  });

  it('fails a connection whose server breaks the protocol, with the right close code', async () => {
    const got = deferred<number>();
    const server = await scriptedServer(({ socket, request }) => {
      socket.write(switching(request));
      socket.write(Buffer.from([0x83, 0])); // opcode 3 is reserved (§5.2)
      let seen = Buffer.alloc(0);
      socket.on('data', (d: Buffer) => {
        seen = Buffer.concat([seen, d]);
        // A masked close frame: 2 header bytes, the 4-byte key, then the code masked by it.
        if (seen.length >= 8) got.resolve(((seen[6]! ^ seen[2]!) << 8) | (seen[7]! ^ seen[3]!));
      });
      socket.resume();
    });
    const { conn } = await new Dialer().dial(`ws://127.0.0.1:${server.port}/`);
    closeAfter(conn);
    await expect(conn.readMessage()).rejects.toThrow(ProtocolError);
    expect(await got.promise).toBe(1002);
  });
});
