/**
 * The handler guarantees of both server entry points, `serve()` and `Upgrader.handleUpgrade()`:
 * return closes with 1000 after the writes, throw closes with 1011 and reports, a peer that goes
 * away (dropped TCP, garbage bytes, odd close codes) is reported to nobody, and the default
 * `onError` prints one line without a stack.
 */
import { createServer } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CloseError,
  type ConnHandler,
  Dialer,
  HandshakeError,
  ListenError,
  type RequestSummary,
  type ServerErrorHandler,
  TextMessage,
  Upgrader,
  serve,
} from '../../src/index.js';
import { RawClient, upgradeRequest } from '../helpers/raw-client.js';
import { deferred, onCleanup } from '../helpers/servers.js';

afterEach(() => {
  vi.restoreAllMocks();
});

/** One way to run a handler on a server: returns the URL to dial and when each handler's run is over. */
type Entry = (handler: ConnHandler, onError?: ServerErrorHandler) => Promise<{ url: string; port: number; settled: () => Promise<void> }>;

const viaServe: Entry = async (handler, onError) => {
  const done: Array<Promise<void>> = [];
  const server = await serve({ port: 0, path: '/ws', ...(onError ? { onError } : {}) }, (conn, request) => {
    const finished = deferred();
    done.push(finished.promise);
    // The guarantee is serve()'s; the test only learns when the handler and the close are over.
    void conn.closed.then(() => setImmediate(finished.resolve));
    return handler(conn, request);
  });
  onCleanup(() => server.close());
  return { url: server.url, port: server.port, settled: async () => void (await Promise.all(done)) };
};

const viaHandleUpgrade: Entry = async (handler, onError) => {
  const upgrader = new Upgrader();
  const done: Array<Promise<void>> = [];
  const http = createServer();
  http.on('upgrade', (req, socket, head) => {
    done.push(upgrader.handleUpgrade(req, socket, head, handler, onError ? { onError } : {}));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  onCleanup(() => {
    http.closeAllConnections();
    return new Promise<void>((resolve) => http.close(() => resolve()));
  });
  const port = (http.address() as AddressInfo).port;
  return { url: `ws://127.0.0.1:${port}/ws`, port, settled: async () => void (await Promise.all(done)) };
};

const viaReadRequestAndHandle: Entry = async (handler, onError) => {
  const upgrader = new Upgrader();
  const done: Array<Promise<void>> = [];
  const server = createNetServer((socket) => {
    done.push(
      upgrader.readRequest(socket).then(
        (pending) => upgrader.handle(pending, handler, onError ? { onError } : {}),
        () => {},
      ),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as AddressInfo).port;
  return { url: `ws://127.0.0.1:${port}/ws`, port, settled: async () => void (await Promise.all(done)) };
};

/** The close code the server sends, after the messages it sent before it. */
async function messagesThenClose(url: string): Promise<{ messages: string[]; code: number }> {
  const { conn } = await new Dialer().dial(url);
  const messages: string[] = [];
  for (;;) {
    try {
      messages.push((await conn.readMessage()).data.toString());
    } catch (err) {
      if (err instanceof CloseError) return { messages, code: err.code };
      throw err;
    }
  }
}

describe.each([
  ['serve()', viaServe],
  ['Upgrader.handleUpgrade()', viaHandleUpgrade],
  ['Upgrader.readRequest() + handle()', viaReadRequestAndHandle],
])('handler guarantees of %s', (_name, start) => {
  it('closes with 1000 when the handler returns, after what it wrote', async () => {
    const onError = vi.fn();
    const { url } = await start((conn) => {
      // Not awaited: the close still waits for them.
      void conn.writeMessage(TextMessage, 'one');
      void conn.writeMessage(TextMessage, 'two');
    }, onError);
    expect(await messagesThenClose(url)).toEqual({ messages: ['one', 'two'], code: 1000 });
    expect(onError).not.toHaveBeenCalled();
  });

  it('closes with 1011 when the handler throws, and reports the error with the request', async () => {
    const reported = deferred<[unknown, RequestSummary | undefined]>();
    const { url } = await start(
      async (conn) => {
        await conn.writeMessage(TextMessage, 'before');
        throw new Error('handler bug');
      },
      (err, request) => reported.resolve([err, request]),
    );
    expect(await messagesThenClose(url)).toEqual({ messages: ['before'], code: 1011 });
    const [err, request] = await reported.promise;
    expect((err as Error).message).toBe('handler bug');
    expect(request).toMatchObject({ method: 'GET', url: '/ws', remoteAddress: '127.0.0.1' });
  });

  it('reports nothing when peers go away: dropped TCP, garbage, odd close codes', async () => {
    const onError = vi.fn();
    const { url, port, settled } = await start(async (conn) => {
      await conn.writeMessage(TextMessage, 'hello');
      // The iteration may end quietly or throw a close error: neither is the handler's fault.
      for await (const { type, data } of conn) await conn.writeMessage(type, data);
    }, onError);
    const dialer = new Dialer();
    for (const code of [1000, 1001, 3000, 4999]) {
      const { conn } = await dialer.dial(url);
      await conn.readMessage();
      await conn.close(code, 'bye');
    }
    const dropped = (await dialer.dial(url)).conn;
    await dropped.readMessage();
    dropped.closeNow();
    const garbage = await RawClient.open(port, '/ws');
    await garbage.nextFrame();
    // A masked frame with the reserved opcode 0xB (§5.2).
    garbage.write(Buffer.from([0x8b, 0x80, 1, 2, 3, 4]));
    expect(await garbage.closeCode()).toBe(1002);
    garbage.destroy();
    await settled();
    expect(onError).not.toHaveBeenCalled();
  });

  it('prints one line without a stack by default for an unexpected error, and nothing for a disconnect', async () => {
    const printed: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void printed.push(args.map(String).join(' ')));
    const { url, settled } = await start(async (conn) => {
      const { data } = await conn.readMessage();
      if (data.toString() === 'fail') throw new TypeError('cannot read the order');
      for await (const m of conn) void m;
    });
    const fails = (await new Dialer().dial(url)).conn;
    await fails.writeMessage(TextMessage, 'fail');
    await expect(fails.readMessage()).rejects.toMatchObject({ code: 1011 });
    const drops = (await new Dialer().dial(url)).conn;
    await drops.writeMessage(TextMessage, 'fine');
    drops.closeNow();
    await settled();
    expect(printed).toHaveLength(1);
    expect(printed[0]).toBe('rfc6455: connection handler failed (GET /ws from 127.0.0.1): TypeError: cannot read the order');
  });
});

/** How a handler's `for await` ended when the peer did `misbehave` (one connection). */
async function loopEnding(misbehave: (url: string, port: number) => Promise<void>): Promise<string> {
  const ended = deferred<string>();
  const server = await serve({ port: 0, onError: () => {} }, async (conn) => {
    try {
      for await (const { type, data } of conn) await conn.writeMessage(type, data);
      ended.resolve('ended quietly');
    } catch (err) {
      ended.resolve(`threw ${String(err)}`);
    }
  });
  onCleanup(() => server.close());
  await misbehave(server.url, server.port);
  return ended.promise;
}

describe('for await in a handler', () => {
  it('ends without throwing when the peer drops TCP (1006)', async () => {
    const how = await loopEnding(async (url) => {
      const { conn } = await new Dialer().dial(url);
      await conn.writeMessage(TextMessage, 'hi');
      await conn.readMessage();
      conn.closeNow();
    });
    expect(how).toBe('ended quietly');
  });

  it('ends without throwing after a protocol violation it answered with 1002', async () => {
    const how = await loopEnding(async (_url, port) => {
      const raw = await RawClient.open(port, '/');
      raw.write(Buffer.from([0x8b, 0x80, 1, 2, 3, 4])); // reserved opcode 0xB (§5.2)
      expect(await raw.closeCode()).toBe(1002);
      raw.destroy();
    });
    expect(how).toBe('ended quietly');
  });
});

describe('serve()', () => {
  it('gives a URL with the path, which can be dialed', async () => {
    const server = await serve({ port: 0, path: '/chat' }, async (conn) => {
      await conn.writeMessage(TextMessage, 'here');
    });
    onCleanup(() => server.close());
    expect(server.url).toBe(`ws://127.0.0.1:${server.port}/chat`);
    expect(await messagesThenClose(server.url)).toEqual({ messages: ['here'], code: 1000 });
  });

  it('says in one line that a port is busy, and how to choose another', async () => {
    const first = await serve({ port: 0 }, () => {});
    onCleanup(() => first.close());
    const second = await serve({ port: first.port }, () => {}).then(
      () => null,
      (err: unknown) => err,
    );
    expect(second).toBeInstanceOf(ListenError);
    const err = second as ListenError;
    expect(err.code).toBe('EADDRINUSE');
    expect(err.message).toBe(
      `rfc6455: port ${first.port} is already in use on 127.0.0.1 (is another server running?); choose another port with the port option (0 picks a free one)`,
    );
    expect(err.stack?.split('\n')).toHaveLength(1);
  });
});

describe('Upgrader.handleUpgrade()', () => {
  it('prints a mistake of the caller\'s by default: a pending upgrade answered twice', async () => {
    const printed: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void printed.push(args.map(String).join(' ')));
    const upgrader = new Upgrader();
    const handled = deferred();
    const server = createNetServer((socket) => {
      void upgrader.readRequest(socket).then((pending) => {
        upgrader.refuse(pending, 404);
        return upgrader.handle(pending, () => {}).then(handled.resolve);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const client = await RawClient.connect((server.address() as AddressInfo).port);
    client.write(upgradeRequest('/x'));
    expect(await client.readHead()).toMatch(/^HTTP\/1\.1 404 /);
    await handled.promise;
    client.destroy();
    expect(printed).toEqual(['rfc6455: connection handler failed (GET /x from 127.0.0.1): Error: websocket: this upgrade was already accepted or refused']);
  });

  it('answers a failed handshake itself, resolves, and reports it only to an onError given', async () => {
    const failures: unknown[] = [];
    const upgrader = new Upgrader();
    const runs: Array<Promise<void>> = [];
    const http = createServer();
    http.on('upgrade', (req, socket, head) => {
      const onError = req.url === '/quiet' ? undefined : (err: unknown) => void failures.push(err);
      runs.push(upgrader.handleUpgrade(req, socket, head, () => {}, onError ? { onError } : {}));
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    onCleanup(() => new Promise<void>((resolve) => http.close(() => resolve())));
    const { port } = http.address() as AddressInfo;
    for (const path of ['/loud', '/quiet']) {
      const client = await RawClient.connect(port);
      client.write(upgradeRequest(path, ['Origin: http://elsewhere.example']));
      expect(await client.readHead()).toMatch(/^HTTP\/1\.1 403 /);
      client.destroy();
    }
    await Promise.all(runs);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(HandshakeError);
  });
});
