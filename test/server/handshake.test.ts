/**
 * The opening handshake over real sockets: every rule broken on the wire, and the HTTP status
 * the server answers with.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { HandshakeError, InvalidHeaderError, Upgrader, isWebSocketUpgrade, subprotocols } from '../../src/index.js';
import { HttpHeaders } from '../../src/protocol/headers.js';
import { RawClient, TEST_KEY, clientFrame, upgradeRequest } from '../helpers/raw-client.js';
import { deferred, echo, httpServer, onCleanup, rawServer, sleep } from '../helpers/servers.js';

const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

async function respond(port: number, request: string | Buffer): Promise<string> {
  const client = await RawClient.connect(port);
  onCleanup(() => client.destroy());
  client.write(request);
  const head = await client.readHead();
  return head.startsWith('HTTP/1.1 101') ? head : client.readAll();
}

function replace(name: string, value: string | null): string {
  const lines = upgradeRequest().split('\r\n').filter((l) => !l.toLowerCase().startsWith(name.toLowerCase() + ':'));
  if (value !== null) lines.splice(1, 0, `${name}: ${value}`);
  return lines.join('\r\n');
}

describe('handshake on raw node:net (serve / upgradeSocket)', () => {
  it('answers a valid request with 101 and the accept value of §4.2.2', async () => {
    const server = await rawServer(echo);
    const head = await respond(server.port, upgradeRequest());
    expect(head).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
    expect(head).toContain('Upgrade: websocket\r\n');
    expect(head).toContain('Connection: Upgrade\r\n');
    expect(head).toContain(`Sec-WebSocket-Accept: ${ACCEPT}\r\n`);
    expect(head).not.toContain('Sec-WebSocket-Protocol');
  });

  const cases: Array<[string, string, number, RegExp[]]> = [
    ['a plain GET (not an upgrade)', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', 426, [/\r\nUpgrade: websocket\r\n/i]],
    ['POST', upgradeRequest().replace(/^GET/, 'POST'), 405, [/\r\nAllow: GET\r\n/]],
    ['HTTP/1.0', upgradeRequest().replace('HTTP/1.1', 'HTTP/1.0'), 400, []],
    ['no upgrade token in Connection', replace('Connection', 'keep-alive'), 400, []],
    ['no Host', replace('Host', null), 400, []],
    ['version 8', replace('Sec-WebSocket-Version', '8'), 426, [/\r\nSec-WebSocket-Version: 13\r\n/]],
    ['no version', replace('Sec-WebSocket-Version', null), 426, [/\r\nSec-WebSocket-Version: 13\r\n/]],
    ['a key of 15 bytes', replace('Sec-WebSocket-Key', Buffer.alloc(15).toString('base64')), 400, []],
    ['no key', replace('Sec-WebSocket-Key', null), 400, []],
    ['a malformed request line', 'GET\r\n\r\n', 400, []],
    ['a bare LF', upgradeRequest().replace(/\r\n/g, '\n'), 400, []],
    ['a request line over 8 KiB', `GET /${'a'.repeat(9000)} HTTP/1.1\r\n\r\n`, 414, []],
    ['101 header lines', upgradeRequest('/', Array.from({ length: 101 }, (_, i) => `X-${i}: y`)), 431, []],
    ['a head over 16 KiB', upgradeRequest('/', [`X-Big: ${'b'.repeat(17000)}`]), 431, []],
  ];
  for (const [name, request, status, patterns] of cases) {
    it(`answers ${status} to ${name}, with a body and Connection: close`, async () => {
      const server = await rawServer(echo);
      const response = await respond(server.port, request);
      expect(response.startsWith(`HTTP/1.1 ${status} `)).toBe(true);
      expect(response).toContain('Connection: close\r\n');
      expect(response).toMatch(/Content-Type: text\/plain; charset=utf-8\r\n/);
      const body = response.split('\r\n\r\n')[1] ?? '';
      expect(body.length).toBeGreaterThan(0);
      for (const p of patterns) expect(response).toMatch(p);
      await expect.poll(() => server.errors.length).toBeGreaterThan(0);
      expect(server.errors[0]).toBeInstanceOf(HandshakeError);
      expect((server.errors[0] as HandshakeError).status).toBe(status);
    });
  }

  it('answers 404 for another path when serve() has one', async () => {
    const server = await rawServer(echo, {}, '/ws');
    expect(await respond(server.port, upgradeRequest('/other'))).toMatch(/^HTTP\/1\.1 404 /);
    expect(await respond(server.port, upgradeRequest('/ws?x=1'))).toMatch(/^HTTP\/1\.1 101 /);
  });

  it('refuses a cross-origin request with 403 by default', async () => {
    const server = await rawServer(echo);
    expect(await respond(server.port, upgradeRequest('/', ['Origin: http://evil.example']))).toMatch(/^HTTP\/1\.1 403 /);
    expect(await respond(server.port, upgradeRequest('/', ['Origin: http://127.0.0.1']))).toMatch(/^HTTP\/1\.1 101 /);
    expect(await respond(server.port, upgradeRequest('/', ['Origin: HTTP://127.0.0.1']))).toMatch(/^HTTP\/1\.1 101 /);
    expect(await respond(server.port, upgradeRequest('/'))).toMatch(/^HTTP\/1\.1 101 /);
  });

  it('accepts any origin with checkOrigin: () => true', async () => {
    const server = await rawServer(echo, { checkOrigin: () => true });
    expect(await respond(server.port, upgradeRequest('/', ['Origin: http://evil.example']))).toMatch(/^HTTP\/1\.1 101 /);
  });

  it('answers without Sec-WebSocket-Protocol when no subprotocol matches', async () => {
    const server = await rawServer(echo, { subprotocols: ['v3'] });
    const head = await respond(server.port, upgradeRequest('/', ['Sec-WebSocket-Protocol: v1, v2']));
    expect(head).toMatch(/^HTTP\/1\.1 101 /);
    expect(head).not.toContain('Sec-WebSocket-Protocol');
  });

  it('lets the error option shape the error response', async () => {
    const server = await rawServer(echo, { error: ({ status }) => ({ body: `custom ${status}`, headers: [['X-Why', 'test']] }) });
    const response = await respond(server.port, replace('Sec-WebSocket-Version', '7'));
    expect(response).toMatch(/^HTTP\/1\.1 426 /);
    expect(response).toContain('X-Why: test\r\n');
    expect(response).toContain('Sec-WebSocket-Version: 13\r\n');
    expect(response.endsWith('custom 426\n')).toBe(true);
  });

  it('keeps bytes sent right after the head as the first WebSocket bytes', async () => {
    const server = await rawServer(echo);
    const client = await RawClient.connect(server.port);
    onCleanup(() => client.destroy());
    client.write(Buffer.concat([Buffer.from(upgradeRequest()), clientFrame({ opcode: 1, payload: Buffer.from('early') })]));
    expect(await client.readHead()).toMatch(/^HTTP\/1\.1 101/);
    expect((await client.nextFrame()).payload.toString()).toBe('early');
  });

  it('parses a head dribbled one byte at a time', async () => {
    const server = await rawServer(echo);
    const client = await RawClient.connect(server.port);
    onCleanup(() => client.destroy());
    await client.writeSlowly(Buffer.from(upgradeRequest()));
    expect(await client.readHead()).toMatch(/^HTTP\/1\.1 101/);
  });

  it('answers 408 and closes when the head does not arrive within the handshake timeout (slowloris)', async () => {
    const server = await rawServer(echo, { handshakeTimeout: 300 });
    const client = await RawClient.connect(server.port);
    onCleanup(() => client.destroy());
    const started = Date.now();
    client.write('GET / HTTP/1.1\r\nHost: x\r\n');
    const timer = setInterval(() => client.write('X'), 50);
    const response = await client.readAll();
    clearInterval(timer);
    expect(response).toMatch(/^HTTP\/1\.1 408 /);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('upgradeSocket works on a socket from a plain net.Server and rejects with a HandshakeError', async () => {
    const upgrader = new Upgrader();
    const outcomes: unknown[] = [];
    const server = createServer((socket) => {
      upgrader.upgradeSocket(socket, [['X-Served-By', 'raw']]).then(
        (conn) => {
          outcomes.push('ok');
          void echo(conn);
        },
        (err: unknown) => outcomes.push(err),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    onCleanup(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as AddressInfo).port;
    const head = await respond(port, upgradeRequest());
    expect(head).toContain('X-Served-By: raw\r\n');
    await respond(port, replace('Sec-WebSocket-Key', 'nope'));
    await expect.poll(() => outcomes.length).toBe(2);
    expect(outcomes[0]).toBe('ok');
    expect(outcomes[1]).toBeInstanceOf(HandshakeError);
    expect((outcomes[1] as HandshakeError).status).toBe(400);
  });
});

describe('handshake on node:http (upgrade)', () => {
  const cases: Array<[string, string, number, RegExp[]]> = [
    ['version 8', replace('Sec-WebSocket-Version', '8'), 426, [/\r\nSec-WebSocket-Version: 13\r\n/]],
    ['a bad key', replace('Sec-WebSocket-Key', 'abc'), 400, []],
    ['two keys', upgradeRequest('/', [`Sec-WebSocket-Key: ${TEST_KEY}`]), 400, []],
    ['POST', upgradeRequest().replace(/^GET/, 'POST'), 405, [/\r\nAllow: GET\r\n/]],
    ['a cross-origin request', upgradeRequest('/', ['Origin: https://evil.example']), 403, []],
  ];
  for (const [name, request, status, patterns] of cases) {
    it(`answers ${status} to ${name}`, async () => {
      const { port, errors } = await httpServer(echo);
      const response = await respond(port, request);
      expect(response.startsWith(`HTTP/1.1 ${status} `)).toBe(true);
      for (const p of patterns) expect(response).toMatch(p);
      await expect.poll(() => errors.length).toBe(1);
      expect((errors[0] as HandshakeError).status).toBe(status);
    });
  }

  it('upgrades, echoes and sends custom response headers', async () => {
    const { port, upgrader, server } = await httpServer(echo);
    server.removeAllListeners('upgrade');
    server.on('upgrade', (req, socket, head) => {
      void upgrader.upgrade(req, socket, head, { 'Set-Cookie': ['a=1', 'b=2'] }).then((conn) => echo(conn));
    });
    const client = await RawClient.connect(port);
    onCleanup(() => client.destroy());
    client.write(upgradeRequest());
    const head = await client.readHead();
    expect(head).toMatch(/^HTTP\/1\.1 101 /);
    expect(head).toContain('Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n');
    client.send({ opcode: 2, payload: Buffer.from([1, 2, 3]) });
    expect((await client.nextFrame()).payload).toEqual(Buffer.from([1, 2, 3]));
  });

  it('refuses response headers with CR or LF: 500 to the client, InvalidHeaderError to the caller', async () => {
    const { port, upgrader, server } = await httpServer(echo);
    const result = deferred<unknown>();
    server.removeAllListeners('upgrade');
    server.on('upgrade', (req, socket, head) => {
      upgrader.upgrade(req, socket, head, [['X-Evil', 'a\r\nInjected: yes']]).then(result.resolve, result.resolve);
    });
    const response = await respond(port, upgradeRequest());
    expect(response).toMatch(/^HTTP\/1\.1 500 /);
    expect(response).not.toContain('Injected: yes\r\n');
    expect(await result.promise).toBeInstanceOf(InvalidHeaderError);
  });

  it('takes a Sec-WebSocket-Protocol response header as the chosen subprotocol, as gorilla does', async () => {
    const { port, upgrader, server } = await httpServer(echo);
    const chosen = deferred<string>();
    server.removeAllListeners('upgrade');
    server.on('upgrade', (req, socket, head) => {
      const offered = subprotocols(req);
      void upgrader.upgrade(req, socket, head, [['Sec-WebSocket-Protocol', offered[1]!]]).then((c) => chosen.resolve(c.subprotocol));
    });
    const head = await respond(port, upgradeRequest('/', ['Sec-WebSocket-Protocol: one, two']));
    expect(head).toContain('Sec-WebSocket-Protocol: two\r\n');
    expect(await chosen.promise).toBe('two');
  });

  it('isWebSocketUpgrade and subprotocols read node:http requests and UpgradeRequests', async () => {
    const fromHttp = deferred<[boolean, string[]]>();
    const { port, upgrader, server } = await httpServer(echo);
    server.removeAllListeners('upgrade');
    server.on('upgrade', (req, socket, head) => {
      fromHttp.resolve([isWebSocketUpgrade(req), subprotocols(req)]);
      void upgrader.upgrade(req, socket, head).then((conn) => echo(conn));
    });
    await respond(port, upgradeRequest('/', ['Sec-WebSocket-Protocol: a, b']));
    expect(await fromHttp.promise).toEqual([true, ['a', 'b']]);
    const fromServe = deferred<[boolean, string[]]>();
    const raw = await rawServer((_conn, request) => fromServe.resolve([isWebSocketUpgrade(request), subprotocols(request)]));
    await respond(raw.port, upgradeRequest('/', ['Sec-WebSocket-Protocol: c']));
    expect(await fromServe.promise).toEqual([true, ['c']]);
    expect(isWebSocketUpgrade({ headers: HttpHeaders.from({ connection: 'keep-alive' }) } as never)).toBe(false);
  });

  it('readRequest, then accept or refuse: a raw-socket server can route before answering', async () => {
    const upgrader = new Upgrader();
    const server = createServer(async (socket) => {
      const pending = await upgrader.readRequest(socket).catch(() => null);
      if (pending === null) return;
      if (pending.request.url !== '/allowed') return upgrader.refuse(pending, 403, 'not for you', [['X-Reason', 'path']]);
      const conn = upgrader.accept(pending, [['X-Route', pending.request.url]]);
      void echo(conn);
      expect(() => upgrader.accept(pending)).toThrow(/already accepted or refused/);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    onCleanup(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as AddressInfo).port;
    const refused = await respond(port, upgradeRequest('/other'));
    expect(refused).toMatch(/^HTTP\/1\.1 403 /);
    expect(refused).toContain('X-Reason: path\r\n');
    expect(refused.endsWith('not for you\n')).toBe(true);
    expect(await respond(port, upgradeRequest('/allowed'))).toContain('X-Route: /allowed\r\n');
  });

  it('leaves plain HTTP requests to the HTTP server', async () => {
    const { port } = await httpServer(echo);
    const response = await respond(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(response).toMatch(/^HTTP\/1\.1 200 /);
    await sleep(0);
  });
});
