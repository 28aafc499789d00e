/**
 * Known attacks on the opening handshake, each named after its class, against a real `serve()`
 * (and `Upgrader.upgrade` on node:http where the class came from there) over loopback sockets.
 * Each checks the answer the RFCs call for, that the server keeps serving right after, and, where
 * the class is about cost, that the work is bounded by the input's size (counted, not timed).
 */
import { type Socket, connect, createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { HandshakeError, HttpHeaders, InvalidHeaderError, Upgrader } from '../../src/index.js';
import { DEFAULT_HEAD_LIMITS, RequestHeadParser } from '../../src/protocol/http-head.js';
import { TEST_KEY, upgradeRequest } from '../helpers/raw-client.js';
import { deferred, echo, httpServer, onCleanup } from '../helpers/servers.js';
import { connectClient, expectStillServing, guardProcess, refusal, startTarget } from './support/target.js';
import { WorkCounter } from './support/work-counter.js';

// Counting starts before any library code runs: code compiled earlier would not be counted.
const work = new WorkCounter();
beforeAll(() => work.start());
afterAll(() => work.stop());
afterEach(() => vi.restoreAllMocks());

/** Watches every request-head parser the server makes, to read how many bytes each examined. */
function watchHeadParsers(): () => RequestHeadParser[] {
  const spy = vi.spyOn(RequestHeadParser.prototype, 'push');
  return () => [...new Set(spy.mock.contexts as RequestHeadParser[])];
}

/** A valid upgrade request with `lines` added before the blank line. */
const requestWith = (lines: string[]): string => upgradeRequest('/', lines);

describe('hostile handshakes against serve()', () => {
  it('CVE-2024-37890 class: header flood (2,500 header lines) → 431 before the head is read, and the server keeps serving', async () => {
    guardProcess();
    const parsers = watchHeadParsers();
    const target = await startTarget();
    const flood = Array.from({ length: 2500 }, (_, i) => `X-Flood-${i}: ${i}`);
    const client = await connectClient(target);
    client.write(requestWith(flood));
    const { status, response } = await refusal(client);
    expect(status).toBe(431);
    expect(response).toContain('too many header fields');
    // Refused at line 101: the parser never looked past its byte limit.
    const examined = parsers().map((p) => p.bytesExamined);
    expect(examined.length).toBe(1);
    expect(examined[0]).toBeLessThanOrEqual(DEFAULT_HEAD_LIMITS.maxHeaderBytes);
    await expectStillServing(target);
  });

  it('CVE-2024-37890 class: a head of 64 KiB (past maxHeaderBytes) → 431, holding at most the limit', async () => {
    guardProcess();
    const parsers = watchHeadParsers();
    const target = await startTarget();
    const client = await connectClient(target);
    client.write(requestWith([`X-Big: ${'a'.repeat(64 * 1024)}`]));
    expect((await refusal(client)).status).toBe(431);
    expect(parsers()[0]!.bytesExamined).toBeLessThanOrEqual(DEFAULT_HEAD_LIMITS.maxHeaderBytes);
    await expectStillServing(target);
  });

  it('request line over maxStartLineBytes (8 KiB) → 414 before the line ends', async () => {
    guardProcess();
    const target = await startTarget();
    const client = await connectClient(target);
    client.write(`GET /${'a'.repeat(20_000)}`); // no line end ever comes
    expect((await refusal(client)).status).toBe(414);
    await expectStillServing(target);
  });

  const listHeaders: Array<[string, (n: number) => string, number]> = [
    ['Sec-WebSocket-Protocol of spaces and commas', (n) => `Sec-WebSocket-Protocol: ${', '.repeat(n / 2)}`, 101],
    ['Sec-WebSocket-Protocol: a token, then spaces, then junk', (n) => `Sec-WebSocket-Protocol: chat${' '.repeat(n)}x`, 400],
    ['Sec-WebSocket-Protocol of tabs and commas around one token', (n) => `Sec-WebSocket-Protocol: ${'\t,'.repeat(n / 4)}chat${',\t'.repeat(n / 4)}`, 101],
    ['Sec-WebSocket-Extensions of spaces and commas', (n) => `Sec-WebSocket-Extensions: ${' ,'.repeat(n / 2)}`, 101],
    ['Sec-WebSocket-Extensions of empty parameters', (n) => `Sec-WebSocket-Extensions: x${' ;'.repeat(n / 2)}`, 400],
    ['Sec-WebSocket-Extensions with a quoted value of escapes', (n) => `Sec-WebSocket-Extensions: x; p="${'\\a'.repeat(n / 2)}"`, 101],
    ['Sec-WebSocket-Extensions with an unterminated quote', (n) => `Sec-WebSocket-Extensions: x; p="${' '.repeat(n)}`, 400],
  ];
  for (const [shape, header, expected] of listHeaders) {
    it(`CVE-2021-32640 class: ${shape} (64 KiB) → ${expected}, in linear work`, async () => {
      guardProcess();
      // The default 16 KiB head limit would refuse 64 KiB with 431 before any list is parsed;
      // raise it so that the list parsers themselves face the input.
      const target = await startTarget({ maxHeaderBytes: 1024 * 1024, subprotocols: ['chat'], enableCompression: true });
      const answer = async (size: number): Promise<number> => {
        const client = await connectClient(target);
        client.write(requestWith([header(size)]));
        const head = await client.readHead(10_000);
        client.destroy();
        return Number(head.slice(9, 12));
      };
      await answer(1024); // warm up: first-time code paths are not part of the comparison
      let status16 = 0;
      let status64 = 0;
      const n16 = await work.measure(async () => void (status16 = await answer(16 * 1024)));
      const n64 = await work.measure(async () => void (status64 = await answer(64 * 1024)));
      expect([status16, status64]).toEqual([expected, expected]);
      // Four times the input, about four times the work (a quadratic parser would do sixteen).
      // The counter sees every byte (the head parser looks at each once): it cannot pass vacuously.
      expect(n16).toBeGreaterThan(16 * 1024);
      expect(n64 / n16).toBeLessThan(5);
      expect(n64).toBeLessThan(30 * 64 * 1024);
      await expectStillServing(target);
    });
  }

  it('by default, a 64 KiB list header is refused with 431 before any list is parsed', async () => {
    guardProcess();
    const target = await startTarget();
    const client = await connectClient(target);
    client.write(requestWith([`Sec-WebSocket-Protocol: ${', '.repeat(32 * 1024)}`]));
    expect((await refusal(client)).status).toBe(431);
    await expectStillServing(target);
  });

  it('CVE-2023-43669 class: a handshake re-sent in 1-byte pieces is examined once per byte (linear)', async () => {
    guardProcess();
    const parsers = watchHeadParsers();
    const target = await startTarget();
    const handshake = async (padding: number): Promise<{ bytes: number; examined: number; pieces: number }> => {
      const before = parsers().length;
      const client = await connectClient(target);
      const bytes = Buffer.from(requestWith([`X-Padding: ${'p'.repeat(padding)}`]));
      await client.writeSlowly(bytes, 1);
      expect(await client.readHead(10_000)).toMatch(/^HTTP\/1\.1 101 /);
      client.destroy();
      const parser = parsers()[before]!;
      const spy = vi.mocked(RequestHeadParser.prototype.push);
      const pieces = spy.mock.contexts.filter((c) => c === parser).length;
      return { bytes: bytes.length, examined: parser.bytesExamined, pieces };
    };
    await handshake(16);
    let small = { bytes: 0, examined: 0, pieces: 0 };
    let large = { bytes: 0, examined: 0, pieces: 0 };
    const w1 = await work.measure(async () => void (small = await handshake(1024)));
    const w4 = await work.measure(async () => void (large = await handshake(4096)));
    // Every byte examined exactly once, however many pieces it came in.
    expect(small.examined).toBe(small.bytes);
    expect(large.examined).toBe(large.bytes);
    expect(w1).toBeGreaterThan(small.bytes);
    expect(large.pieces).toBeGreaterThan(1); // it really arrived in pieces
    // The whole server's work grows with the bytes, not with bytes × pieces.
    expect(w4 / w1).toBeLessThan((large.bytes / small.bytes) * 1.5);
    await expectStillServing(target);
  });

  it('slowloris: a request head sent a byte at a time slower than the deadline → 408 at the deadline, then the socket closes', async () => {
    guardProcess();
    const target = await startTarget({ handshakeTimeout: 1000 });
    const client = await connectClient(target);
    const head = Buffer.from(requestWith([]));
    let sent = 0;
    // One byte every 100 ms: the whole head would take about 15 s.
    const dribble = setInterval(() => {
      if (sent < head.length && !client.closed) client.write(head.subarray(sent, ++sent));
    }, 100);
    onCleanup(() => clearInterval(dribble));
    const { status } = await refusal(client, 20_000);
    clearInterval(dribble);
    expect(status).toBe(408);
    expect(sent).toBeLessThan(head.length);
    await client.waitClosed(10_000);
    await expectStillServing(target);
  });

  it('slowloris: many slow heads at once each get 408 while a well-behaved client is served', async () => {
    guardProcess();
    const target = await startTarget({ handshakeTimeout: 1500 });
    const slow = await Promise.all(Array.from({ length: 50 }, () => connectClient(target)));
    for (const c of slow) c.write('GET / HTTP/1.1\r\nHost: x\r\n');
    await expectStillServing(target);
    const statuses = await Promise.all(slow.map(async (c) => (await refusal(c, 20_000)).status));
    expect(new Set(statuses)).toEqual(new Set([408]));
    await expectStillServing(target);
  });

  const prototypeNames = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf'];
  it('prototype names as header, subprotocol and extension names: plain data, nothing polluted, offers declined', async () => {
    guardProcess();
    const target = await startTarget({ subprotocols: ['chat'], enableCompression: true }, echo);
    const client = await connectClient(target);
    client.write(
      requestWith([
        ...prototypeNames.map((name) => `${name}: from-${name}`),
        '__proto__: again',
        `Sec-WebSocket-Protocol: ${prototypeNames.join(', ')}`,
        `Sec-WebSocket-Extensions: ${prototypeNames.map((n) => `${n}; ${n}=1; __proto__`).join(', ')}, permessage-deflate; __proto__, permessage-deflate; constructor=1`,
      ]),
    );
    const head = await client.readHead(10_000);
    expect(head).toMatch(/^HTTP\/1\.1 101 /);
    // No subprotocol in common, every deflate offer carried an unknown parameter: both declined.
    expect(head).not.toMatch(/Sec-WebSocket-(Protocol|Extensions)/i);
    await expect.poll(() => target.requests.length).toBe(1);
    const request = target.requests[0]!;
    expect(request.headers.getAll('__proto__')).toEqual(['from-__proto__', 'again']);
    for (const name of prototypeNames) expect(request.headers.has(name)).toBe(true);
    expect(request.subprotocols).toEqual(prototypeNames);
    const record = request.headers.toRecord();
    expect(Object.getPrototypeOf(record)).toBe(null);
    expect(record['__proto__']).toBe('from-__proto__, again');
    expect(({} as Record<string, unknown>)['from-__proto__']).toBeUndefined();
    expect(Object.keys(Object.prototype)).toEqual([]);
    expect(({} as { constructor: unknown }).constructor).toBe(Object);
    client.destroy();
    await expectStillServing(target);
  });

  it('a subprotocol named __proto__ is chosen only when the server lists it', async () => {
    guardProcess();
    const target = await startTarget({ subprotocols: ['__proto__'] }, echo);
    const client = await connectClient(target);
    client.write(requestWith(['Sec-WebSocket-Protocol: constructor, __proto__']));
    expect(await client.readHead(10_000)).toContain('Sec-WebSocket-Protocol: __proto__\r\n');
    await expect.poll(() => target.conns.length).toBe(1);
    expect(target.conns[0]!.subprotocol).toBe('__proto__');
  });
});

describe('hostile handshakes against Upgrader.upgrade on node:http', () => {
  it('CVE-2024-37890 class: header flood past node:http’s 2,000-header cut drops Sec-WebSocket-Key → 400, no crash', async () => {
    guardProcess();
    const { port, errors } = await httpServer(echo);
    // node:http keeps the first 2,000 header lines and drops the rest, key included: ws crashed
    // reading the missing key. Upgrade and Connection come first so the upgrade event still fires.
    const head = [
      'GET / HTTP/1.1',
      'Host: 127.0.0.1',
      'Upgrade: websocket',
      'Connection: Upgrade',
      'Sec-WebSocket-Version: 13',
      ...Array.from({ length: 2100 }, () => 'a: b'),
      `Sec-WebSocket-Key: ${TEST_KEY}`,
      '',
      '',
    ].join('\r\n');
    const client = await connectClient({ port });
    client.write(head);
    const { status, response } = await refusal(client);
    expect(status).toBe(400);
    expect(response).toContain('Sec-WebSocket-Key');
    await expect.poll(() => errors.length).toBe(1);
    expect(errors[0]).toBeInstanceOf(HandshakeError);
    await expectStillServing({ port });
  });

  it('prototype names as header names through node:http: plain data', async () => {
    guardProcess();
    const upgraded: Array<{ proto: string | undefined; ctor: string | undefined }> = [];
    const { port, upgrader, server } = await httpServer(echo);
    server.removeAllListeners('upgrade');
    server.on('upgrade', (req, socket, head) => {
      // node:http folds headers into a plain object; rawHeaders keep them as data.
      const headers = HttpHeaders.from(pairs(req.rawHeaders));
      upgraded.push({ proto: headers.get('__proto__'), ctor: headers.get('constructor') });
      void upgrader.upgrade(req, socket, head).then((conn) => echo(conn));
    });
    const client = await connectClient({ port });
    client.write(requestWith(['__proto__: x', 'constructor: y', 'Sec-WebSocket-Extensions: __proto__; constructor']));
    expect(await client.readHead(10_000)).toMatch(/^HTTP\/1\.1 101 /);
    await expect.poll(() => upgraded.length).toBe(1);
    expect(upgraded[0]).toEqual({ proto: 'x', ctor: 'y' });
    client.destroy();
    await expectStillServing({ port });
  });
});

function pairs(raw: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}

describe('header injection in our own responses', () => {
  const injections: Array<[string, [string, string]]> = [
    ['CR LF in a value', ['X-Evil', 'a\r\nInjected: yes']],
    ['a bare LF in a value', ['X-Evil', 'a\nInjected: yes']],
    ['a bare CR in a value', ['X-Evil', 'a\rInjected: yes']],
    ['NUL in a value', ['X-Evil', 'a\0Injected: yes']],
    ['CR LF in a name', ['X-Evil\r\nInjected', 'yes']],
    ['a colon in a name', ['Injected: yes\r\nX', 'v']],
    ['a space in a name', ['X Evil', 'v']],
    ['characters past Latin-1 in a value', ['X-Evil', 'a\u010d\u010aInjected: yes']],
  ];
  for (const [name, header] of injections) {
    it(`refuses ${name}: 500 and InvalidHeaderError, no injected line (upgradeSocket)`, async () => {
      guardProcess();
      const upgrader = new Upgrader();
      const outcome = deferred<unknown>();
      const server = createServer((socket) => void upgrader.upgradeSocket(socket, [header]).then(outcome.resolve, outcome.resolve));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      onCleanup(() => new Promise<void>((r) => server.close(() => r())));
      const port = (server.address() as { port: number }).port;
      const client = await connectClient({ port });
      client.write(requestWith([]));
      const { status, response } = await refusal(client);
      expect(status).toBe(500);
      expect(response).not.toMatch(/^Injected/m);
      // Every line of the head ends with CR LF, and no other control byte appears in it.
      expect(response.split('\r\n\r\n')[0]!.replace(/\r\n/g, '')).not.toMatch(/[\0\r\n]/);
      expect(await outcome.promise).toBeInstanceOf(InvalidHeaderError);
    });
  }

  it('headers from the error option with CR LF are dropped: the default refusal goes out instead', async () => {
    guardProcess();
    const target = await startTarget({
      error: () => ({ status: 403, headers: [['X-Evil', 'a\r\nInjected: yes']], body: 'custom' }),
    });
    const client = await connectClient(target);
    client.write(upgradeRequest().replace('Sec-WebSocket-Version: 13', 'Sec-WebSocket-Version: 8'));
    const { status, response } = await refusal(client);
    // The custom status stays; the headers and body that came with the bad header do not.
    expect(status).toBe(403);
    expect(response).not.toMatch(/^Injected/m);
    expect(response).not.toMatch(/custom$/);
    await expectStillServing(target);
  });

  it('a raw connect that sends nothing and closes does not disturb the server', async () => {
    guardProcess();
    const target = await startTarget();
    await Promise.all(
      Array.from(
        { length: 20 },
        () =>
          new Promise<void>((resolve) => {
            const socket: Socket = connect(target.port, '127.0.0.1', () => {
              socket.destroy();
              resolve();
            });
          }),
      ),
    );
    await expectStillServing(target);
  });
});
