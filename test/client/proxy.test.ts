/**
 * Dialing through an HTTP proxy with CONNECT: explicit and from the environment, Basic
 * credentials from the proxy URL, ws: and wss: through the tunnel, and a proxy that refuses.
 */
import { describe, expect, it, vi } from 'vitest';
import { Dialer, InvalidUrlError, ProxyConnectError, TextMessage, proxyFromEnvironment } from '../../src/index.js';
import { connectRequest } from '../../src/client/proxy-tunnel.js';
import { noProxyMatches, resolveProxy } from '../../src/client/proxy.js';
import { echo, onCleanup, rawServer } from '../helpers/servers.js';
import { connectProxy, loopbackLookup, testCertificate } from './fixtures.js';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

describe('dialing through a CONNECT proxy', () => {
  it('tunnels ws:// through an explicit proxy', async () => {
    const server = await rawServer(echo);
    const proxy = await connectProxy();
    const { conn } = await new Dialer({ proxy: proxy.url }).dial(`${server.url}/via-proxy`);
    onCleanup(() => conn.closeNow());
    expect(proxy.requests.map((r) => r.target)).toEqual([`127.0.0.1:${server.port}`]);
    expect(proxy.requests[0]!.headers.get('host')).toBe(`127.0.0.1:${server.port}`);
    expect(proxy.requests[0]!.headers.has('proxy-authorization')).toBe(false);
    await conn.writeMessage(TextMessage, 'through the tunnel');
    expect((await conn.readMessage()).data.toString()).toBe('through the tunnel');
    await conn.close();
  });

  it('sends Basic credentials from the proxy URL, percent-decoded', async () => {
    const server = await rawServer(echo);
    const proxy = await connectProxy({ credentials: 'user name:p@ss:word' });
    const withCreds = proxy.url.replace('http://', 'http://user%20name:p%40ss%3Aword@');
    const { conn } = await new Dialer({ proxy: withCreds }).dial(server.url);
    onCleanup(() => conn.closeNow());
    await conn.writeMessage(TextMessage, 'authorized');
    expect((await conn.readMessage()).data.toString()).toBe('authorized');
  });

  it('fails with ProxyConnectError 407 when the proxy wants credentials, closing the socket', async () => {
    const server = await rawServer(echo);
    const proxy = await connectProxy({ credentials: 'u:p' });
    const err = await new Dialer({ proxy: proxy.url }).dial(server.url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProxyConnectError);
    expect(err).toMatchObject({ status: 407, stage: 'proxy' });
    expect((err as ProxyConnectError).headers.get('proxy-authenticate')).toBe('Basic realm="test"');
    await proxy.connections[0]!.closed;
    expect(server.connections.size).toBe(0);
  });

  it('tunnels wss:// and runs TLS with the target, not the proxy; the default port is 443', async () => {
    const { cert, key } = await testCertificate();
    const https = createHttpsServer({ cert, key });
    const wss = new WebSocketServer({ server: https });
    wss.on('connection', (ws) => ws.on('message', (d: Buffer, isBinary: boolean) => ws.send(d, { binary: isBinary })));
    await new Promise<void>((r) => https.listen(0, '127.0.0.1', r));
    onCleanup(
      () =>
        new Promise<void>((r) => {
          for (const c of wss.clients) c.terminate();
          https.closeAllConnections();
          https.close(() => r());
        }),
    );
    const tlsPort = (https.address() as AddressInfo).port;
    // The proxy sends every tunnel to the TLS server, wherever it was asked to go.
    const proxy = await connectProxy({ route: () => ({ host: '127.0.0.1', port: tlsPort }) });
    const { conn } = await new Dialer({ proxy: proxy.url, tls: { ca: cert } }).dial('wss://localhost/secure');
    onCleanup(() => conn.closeNow());
    expect(proxy.requests[0]!.target).toBe('localhost:443');
    await conn.writeMessage(TextMessage, 'tls in a tunnel');
    expect((await conn.readMessage()).data.toString()).toBe('tls in a tunnel');
  });

  it('chooses the proxy per URL with a function, or none', async () => {
    const server = await rawServer(echo);
    const proxy = await connectProxy();
    const seen: string[] = [];
    const dialer = new Dialer({
      proxy: (target) => {
        seen.push(target.href);
        return target.pathname === '/direct' ? null : proxy.url;
      },
    });
    const a = await dialer.dial(`${server.url}/direct`);
    onCleanup(() => a.conn.closeNow());
    const b = await dialer.dial(`${server.url}/proxied`);
    onCleanup(() => b.conn.closeNow());
    expect(seen).toEqual([`${server.url}/direct`, `${server.url}/proxied`]);
    expect(proxy.requests.length).toBe(1);
  });

  it('uses HTTP_PROXY with proxyFromEnvironment, and skips hosts in NO_PROXY', async () => {
    const server = await rawServer(echo);
    const proxy = await connectProxy();
    vi.stubEnv('http_proxy', '');
    vi.stubEnv('no_proxy', '');
    vi.stubEnv('HTTP_PROXY', `127.0.0.1:${proxy.port}`); // no scheme: http:// is assumed
    vi.stubEnv('NO_PROXY', 'skip.test');
    onCleanup(() => {
      vi.unstubAllEnvs();
    });
    const dialer = new Dialer({ proxy: proxyFromEnvironment, lookup: loopbackLookup });
    const a = await dialer.dial(`ws://via.test:${server.port}/`);
    onCleanup(() => a.conn.closeNow());
    const b = await dialer.dial(`ws://skip.test:${server.port}/`);
    onCleanup(() => b.conn.closeNow());
    expect(proxy.requests.map((r) => r.target)).toEqual([`via.test:${server.port}`]);
    expect(server.connections.size).toBe(2);
  });

  it('refuses proxy URLs it cannot use', async () => {
    await expect(new Dialer({ proxy: 'socks5://127.0.0.1:1080' }).dial('ws://127.0.0.1:1/')).rejects.toThrow(InvalidUrlError);
    await expect(new Dialer({ proxy: 'https://proxy.example:443' }).dial('ws://127.0.0.1:1/')).rejects.toThrow(InvalidUrlError);
    await expect(new Dialer({ proxy: 'not a url' }).dial('ws://127.0.0.1:1/')).rejects.toThrow(InvalidUrlError);
  });
});

describe('the CONNECT request', () => {
  it('names the target with its port, IPv6 in brackets', () => {
    expect(connectRequest('example.com', 443, new URL('http://p:3128')).toString()).toBe('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    expect(connectRequest('::1', 80, new URL('http://p')).toString()).toMatch(/^CONNECT \[::1\]:80 HTTP\/1\.1\r\nHost: \[::1\]:80\r\n/);
  });

  it('carries Basic credentials in UTF-8', () => {
    const text = connectRequest('h', 1, new URL('http://%C3%BC:pw@p')).toString();
    expect(text).toContain(`Proxy-Authorization: Basic ${Buffer.from('ü:pw').toString('base64')}\r\n`);
  });
});

describe('proxyFromEnvironment', () => {
  const env = { HTTP_PROXY: 'http://plain:1', HTTPS_PROXY: 'http://secure:2' };
  it('uses HTTP_PROXY for ws: and HTTPS_PROXY for wss:', () => {
    expect(proxyFromEnvironment(new URL('ws://a.example/'), env)).toBe('http://plain:1');
    expect(proxyFromEnvironment(new URL('wss://a.example/'), env)).toBe('http://secure:2');
  });

  it('prefers the lowercase variables, and treats blank ones as unset', () => {
    expect(proxyFromEnvironment(new URL('ws://a/'), { ...env, http_proxy: 'http://lower:3' })).toBe('http://lower:3');
    expect(proxyFromEnvironment(new URL('ws://a/'), { HTTP_PROXY: '  ' })).toBeNull();
    expect(proxyFromEnvironment(new URL('ws://a/'), { http_proxy: '', HTTP_PROXY: 'http://upper:4' })).toBe('http://upper:4');
    expect(proxyFromEnvironment(new URL('ws://a/'), {})).toBeNull();
    expect(proxyFromEnvironment(new URL('wss://a/'), { HTTP_PROXY: 'http://plain:1' })).toBeNull();
  });

  it('honours NO_PROXY', () => {
    expect(proxyFromEnvironment(new URL('ws://api.internal.example/'), { ...env, NO_PROXY: 'internal.example' })).toBeNull();
    expect(proxyFromEnvironment(new URL('ws://other.example/'), { ...env, no_proxy: 'internal.example' })).toBe('http://plain:1');
  });

  it('is resolved and validated by resolveProxy', () => {
    expect(resolveProxy(undefined, new URL('ws://a/'))).toBeNull();
    expect(resolveProxy('', new URL('ws://a/'))).toBeNull();
    expect(resolveProxy(() => undefined, new URL('ws://a/'))).toBeNull();
    expect(resolveProxy(new URL('http://p:8080'), new URL('ws://a/'))!.port).toBe('8080');
  });
});

describe('NO_PROXY matching', () => {
  const cases: Array<[string, string, number, boolean]> = [
    ['*', 'anything.example', 80, true],
    ['example.com', 'example.com', 80, true],
    ['example.com', 'sub.example.com', 80, true],
    ['example.com', 'notexample.com', 80, false],
    ['.example.com', 'sub.example.com', 80, true],
    ['.example.com', 'example.com', 80, true],
    ['*.example.com', 'a.b.example.com', 443, true],
    ['EXAMPLE.com', 'example.COM.', 80, true],
    ['example.com:8080', 'example.com', 8080, true],
    ['example.com:8080', 'example.com', 80, false],
    ['a.test, b.test  c.test', 'c.test', 80, true],
    ['10.0.0.0/8', '10.1.2.3', 80, true],
    ['10.0.0.0/8', '11.1.2.3', 80, false],
    ['10.0.0.0/8', 'ten.example', 80, false],
    ['192.168.1.10', '192.168.1.10', 80, true],
    ['192.168.1.10', '192.168.1.11', 80, false],
    ['::1', '::1', 80, true],
    ['[::1]:9000', '::1', 9000, true],
    ['[::1]:9000', '::1', 9001, false],
    ['fd00::/8', 'fd12::5', 443, true],
    ['fd00::/8', 'fe80::1', 443, false],
    ['', 'example.com', 80, false],
    [',,', 'example.com', 80, false],
  ];
  for (const [list, host, port, expected] of cases) {
    it(`${JSON.stringify(list)} ${expected ? 'exempts' : 'does not exempt'} ${host}:${port}`, () => {
      expect(noProxyMatches(list, host, port)).toBe(expected);
    });
  }
});
