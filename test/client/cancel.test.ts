/**
 * The handshake timeout and an AbortSignal cancel a dial at each stage it can wait in: DNS and
 * TCP connect, the proxy's answer, TLS, the response head and the body of a refusal. The dial
 * rejects (with `DialTimeoutError` naming the stage, or the signal's reason) and its sockets are
 * closed: the peer sees the connection end.
 */
import { once } from 'node:events';
import { connect, type LookupFunction } from 'node:net';
import { setTimeout as poll } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BadHandshakeError, DialTimeoutError, Dialer, type DialStage, TextMessage } from '../../src/index.js';
import { deferred, echo, rawServer } from '../helpers/servers.js';
import { connectProxy, scriptedServer, silentServer } from './fixtures.js';

const SHORT = 250; // ms: every stage below waits forever, so any timeout is reached

afterEach(() => void vi.useRealTimers());

/**
 * Fake setTimeout/clearTimeout (sockets and node:timers/promises stay real), so a test decides
 * when the dial's timers fire; `until(n)` polls (real timers) until `n` timers are pending.
 */
function fakeTimers(): { until(count: number): Promise<void> } {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  return {
    async until(count) {
      while (vi.getTimerCount() < count) await poll(5);
    },
  };
}

/** A lookup that answers only when told to. */
function heldLookup(): { lookup: LookupFunction; called: Promise<void>; release(address: string): void } {
  const called = deferred();
  let answer: ((address: string) => void) | null = null;
  const lookup: LookupFunction = (_host, options, callback) => {
    answer = (address) => {
      if (options.all === true) (callback as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address, family: 4 }]);
      else callback(null, address, 4);
    };
    called.resolve();
  };
  return { lookup, called: called.promise, release: (address) => answer?.(address) };
}

/** A dial that waits at `stage`, with what it needs to check that nothing is left open. */
interface Scenario {
  url: string;
  options: ConstructorParameters<typeof Dialer>[0];
  /** Resolves once the dial is waiting at its stage. */
  reached: Promise<unknown>;
  /** Resolves when the peer has seen the client's socket close. */
  peerClosed: () => Promise<unknown>;
}

const scenarios: Record<Exclude<DialStage, never>, () => Promise<Scenario>> = {
  tcp: async () => {
    const held = heldLookup();
    return { url: 'ws://slow-dns.test:9/', options: { lookup: held.lookup }, reached: held.called, peerClosed: () => Promise.resolve() };
  },
  proxy: async () => {
    const proxy = await connectProxy({ hang: true });
    const reached = (async () => {
      while (proxy.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
    })();
    return { url: 'ws://127.0.0.1:9/', options: { proxy: proxy.url }, reached, peerClosed: () => proxy.connections[0]!.closed };
  },
  tls: async () => {
    const server = await silentServer();
    return { url: `wss://127.0.0.1:${server.port}/`, options: {}, reached: server.nextConnection(), peerClosed: () => server.connections[0]!.closed };
  },
  handshake: async () => {
    const server = await scriptedServer(({ socket }) => socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: webs')); // and nothing more
    return { url: `ws://127.0.0.1:${server.port}/`, options: {}, reached: server.nextRequest(), peerClosed: () => server.connections[0]!.closed };
  },
};

describe('cancelling a dial', () => {
  for (const [stage, setup] of Object.entries(scenarios) as Array<[DialStage, () => Promise<Scenario>]>) {
    it(`times out during ${stage} with DialTimeoutError and closes the socket`, async () => {
      const s = await setup();
      const err = await new Dialer({ ...s.options, handshakeTimeout: SHORT }).dial(s.url).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DialTimeoutError);
      expect(err).toMatchObject({ stage, message: expect.stringContaining(`after ${SHORT} ms (during ${stage})`) });
      await s.peerClosed();
    });

    it(`aborts during ${stage} with the signal's reason and closes the socket`, async () => {
      const s = await setup();
      const controller = new AbortController();
      const dialing = new Dialer(s.options).dial(s.url, { signal: controller.signal }).catch((e: unknown) => e);
      await s.reached;
      const reason = new Error(`stop at ${stage}`);
      controller.abort(reason);
      expect(await dialing).toBe(reason);
      await s.peerClosed();
    });
  }

  it('rejects at once with an AbortError for a signal aborted before the dial', async () => {
    const held = heldLookup();
    let looked = false;
    const lookup: LookupFunction = (...args) => {
      looked = true;
      held.lookup(...args);
    };
    const err = await new Dialer({ lookup }).dial('ws://never.test/', { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'AbortError' });
    expect(looked).toBe(false);
  });

  it('never connects once aborted during DNS, even if the answer comes later', async () => {
    const server = await scriptedServer();
    const held = heldLookup();
    const controller = new AbortController();
    const dialing = new Dialer({ lookup: held.lookup }).dial(`ws://late.test:${server.port}/`, { signal: controller.signal }).catch((e: unknown) => e);
    await held.called;
    controller.abort();
    await dialing;
    held.release('127.0.0.1');
    // A probe connection made after the late answer: if the dial had connected, it would come first.
    const probe = connect(server.port, '127.0.0.1');
    await once(probe, 'connect');
    const probePort = probe.localPort;
    const first = await server.nextConnection();
    probe.destroy();
    expect(first.socket.remotePort).toBe(probePort);
    expect(server.connections.length).toBe(1);
  });

  it('aborts while reading the body of a refusal', async () => {
    const server = await scriptedServer(({ socket }) => socket.write('HTTP/1.1 403 Forbidden\r\nContent-Length: 100\r\n\r\npart'));
    const timers = fakeTimers();
    const controller = new AbortController();
    const dialing = new Dialer().dial(`ws://127.0.0.1:${server.port}/`, { signal: controller.signal }).catch((e: unknown) => e);
    // The dial's own timer, then the wait for the rest of the body: the head has been read.
    await timers.until(2);
    controller.abort(new Error('gave up'));
    const err = await dialing;
    expect(err).toMatchObject({ message: 'gave up' });
    await server.connections[0]!.closed;
  });

  it('keeps the refusal when the handshake timeout cuts its body short', async () => {
    const server = await scriptedServer(({ socket }) => socket.write('HTTP/1.1 403 Forbidden\r\nContent-Length: 100\r\n\r\npart'));
    const timers = fakeTimers();
    const dialing = new Dialer({ handshakeTimeout: 150 }).dial(`ws://127.0.0.1:${server.port}/`).catch((e: unknown) => e);
    await timers.until(2); // the head is in and the body is awaited: now the timeout strikes
    vi.advanceTimersByTime(150);
    const err = await dialing;
    expect(err).toBeInstanceOf(BadHandshakeError);
    expect((err as BadHandshakeError).status).toBe(403);
    expect((err as BadHandshakeError).body.toString()).toBe('part');
    await server.connections[0]!.closed;
  });

  it('leaves an open connection alone when the signal aborts after the dial', async () => {
    const server = await rawServer(echo);
    fakeTimers(); // the handshake timeout fires only when the test says so, however slow the dial
    const controller = new AbortController();
    const { conn } = await new Dialer({ handshakeTimeout: 100 }).dial(server.url, { signal: controller.signal });
    controller.abort();
    vi.advanceTimersByTime(200); // past the handshake timeout too
    vi.useRealTimers();
    await conn.writeMessage(TextMessage, 'still here');
    expect((await conn.readMessage()).data.toString()).toBe('still here');
    await conn.close();
  });

  it('has no timeout with handshakeTimeout: 0', async () => {
    const server = await scriptedServer();
    const controller = new AbortController();
    const dialing = new Dialer({ handshakeTimeout: 0 }).dial(`ws://127.0.0.1:${server.port}/`, { signal: controller.signal }).catch((e: unknown) => e);
    await server.nextRequest();
    controller.abort(new Error('only the signal ends it'));
    expect(await dialing).toMatchObject({ message: 'only the signal ends it' });
  });
});
