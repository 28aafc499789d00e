/**
 * Redirects: off by default; when on, 301/302/307/308 are followed up to `maxRedirects`, and
 * credentials (Authorization, Cookie) do not follow the dial to another host.
 */
import { describe, expect, it } from 'vitest';
import { BadHandshakeError, Dialer, TextMessage, type UpgradeRequest } from '../../src/index.js';
import { echo, onCleanup, rawServer } from '../helpers/servers.js';
import { loopbackLookup, scriptedServer } from './fixtures.js';

/** A server that answers every upgrade request with `status` and `Location: location(path)`. */
async function redirector(status: number, location: (path: string) => string | null): Promise<Awaited<ReturnType<typeof scriptedServer>>> {
  return scriptedServer(({ socket, request }) => {
    const target = location(request.target);
    const lines = [`HTTP/1.1 ${status} Moved`, ...(target === null ? [] : [`Location: ${target}`]), 'Content-Length: 0', '', ''];
    socket.write(lines.join('\r\n'));
    socket.resume();
  });
}

/** Our echo server, recording requests. */
async function destination(): Promise<{ port: number; requests: UpgradeRequest[] }> {
  const requests: UpgradeRequest[] = [];
  const server = await rawServer(async (conn, request) => {
    requests.push(request);
    await echo(conn);
  }, { checkOrigin: () => true });
  return { port: server.port, requests };
}

const dialer = new Dialer({ followRedirects: true, lookup: loopbackLookup });

describe('redirects', () => {
  for (const status of [301, 302, 307, 308]) {
    it(`follows ${status} to another server and reports the final URL`, async () => {
      const end = await destination();
      const start = await redirector(status, (path) => `ws://127.0.0.1:${end.port}${path}-moved`);
      const { conn, response } = await dialer.dial(`ws://127.0.0.1:${start.port}/room?id=7`);
      onCleanup(() => conn.closeNow());
      expect(response.status).toBe(101);
      expect(response.url).toBe(`ws://127.0.0.1:${end.port}/room?id=7-moved`);
      expect(end.requests[0]!.url).toBe('/room?id=7-moved');
      await conn.writeMessage(TextMessage, 'arrived');
      expect((await conn.readMessage()).data.toString()).toBe('arrived');
      await start.connections[0]!.closed; // the redirecting connection was closed
    });
  }

  it('does not follow 303 (not a WebSocket redirect)', async () => {
    const start = await redirector(303, () => 'ws://127.0.0.1:1/');
    const err = await dialer.dial(`ws://127.0.0.1:${start.port}/`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadHandshakeError);
    expect((err as BadHandshakeError).status).toBe(303);
  });

  it('resolves a relative Location and accepts http(s) schemes', async () => {
    const end = await destination();
    // First hop: relative path on the same server; second hop: an http: URL to the destination.
    const start = await redirector(307, (path) => (path === '/first' ? '/second?x=1' : `http://127.0.0.1:${end.port}/third`));
    const { conn, response } = await dialer.dial(`ws://127.0.0.1:${start.port}/first`);
    onCleanup(() => conn.closeNow());
    expect(start.connections.map((c) => c.request?.target)).toEqual(['/first', '/second?x=1']);
    expect(response.url).toBe(`ws://127.0.0.1:${end.port}/third`);
  });

  it('keeps Authorization and Cookie on the same host and port', async () => {
    const end = await destination();
    let hops = 0;
    // Hop 1 stays on a.test and the same port; hop 2 goes on to the echo server.
    const start = await redirector(302, (path) => (hops++ === 0 ? `${path}/again` : `ws://a.test:${end.port}/`));
    const d = new Dialer({ followRedirects: true, lookup: loopbackLookup, headers: { Authorization: 'Bearer secret', Cookie: 'session=1' } });
    const { conn } = await d.dial(`ws://a.test:${start.port}/x`);
    onCleanup(() => conn.closeNow());
    const second = start.connections[1]!.request!;
    expect(second.target).toBe('/x/again');
    expect(second.headers.get('authorization')).toBe('Bearer secret');
    expect(second.headers.get('cookie')).toBe('session=1');
  });

  it('drops Authorization, Cookie and Host when the host changes, and keeps the rest', async () => {
    const end = await destination();
    const start = await redirector(301, () => `ws://b.test:${end.port}/`);
    const d = new Dialer({ followRedirects: true, lookup: loopbackLookup, origin: 'https://app.example', headers: { Cookie: 'session=1', 'X-Trace': 't1' } });
    const { conn } = await d.dial(`ws://user:pw@a.test:${start.port}/`, { headers: { Authorization: 'Bearer secret', Host: 'a.test' } });
    onCleanup(() => conn.closeNow());
    const first = start.connections[0]!.request!;
    expect(first.headers.get('authorization')).toBe('Bearer secret');
    expect(first.headers.get('cookie')).toBe('session=1');
    const h = end.requests[0]!.headers;
    expect(h.has('authorization')).toBe(false);
    expect(h.has('cookie')).toBe(false);
    expect(h.get('host')).toBe(`b.test:${end.port}`);
    expect(h.get('x-trace')).toBe('t1');
    expect(h.get('origin')).toBe('https://app.example');
  });

  it('treats another port on the same host name as another host', async () => {
    const end = await destination();
    const start = await redirector(308, () => `ws://a.test:${end.port}/`);
    const d = new Dialer({ followRedirects: true, lookup: loopbackLookup });
    const { conn } = await d.dial(`ws://a.test:${start.port}/`, { headers: { Cookie: 'c=1' } });
    onCleanup(() => conn.closeNow());
    expect(end.requests[0]!.headers.has('cookie')).toBe(false);
  });

  it(`stops after maxRedirects with a BadHandshakeError`, async () => {
    const loop = await redirector(302, (path) => path);
    const d = new Dialer({ followRedirects: true, maxRedirects: 3 });
    const err = await d.dial(`ws://127.0.0.1:${loop.port}/loop`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadHandshakeError);
    expect((err as Error).message).toMatch(/too many redirects/);
    expect((err as BadHandshakeError).status).toBe(302);
    expect(loop.connections.length).toBe(4);
    await Promise.all(loop.connections.map((c) => c.closed));
  });

  it('fails on a redirect without Location, or to a URL it cannot dial', async () => {
    const none = await redirector(302, () => null);
    await expect(dialer.dial(`ws://127.0.0.1:${none.port}/`)).rejects.toThrow(/without a single Location/);
    const ftp = await redirector(302, () => 'ftp://files.example/');
    const err = await dialer.dial(`ws://127.0.0.1:${ftp.port}/`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadHandshakeError);
    expect((err as Error).message).toMatch(/cannot follow the redirect/);
  });
});
