/**
 * Reading a request head off a raw socket: the head and the bytes after it, and every way the
 * read ends leaves no listener behind on the socket (the connection takes it over next).
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { HandshakeError } from '../../src/protocol/errors.js';
import { readRequestHead } from '../../src/server/head-reader.js';

const REQUEST = 'GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\r\n';
const EVENTS = ['data', 'end', 'close', 'error'] as const;

function listenersOn(socket: PassThrough): number {
  return EVENTS.reduce((n, event) => n + socket.listenerCount(event), 0);
}

function refusals(): { refuse: (socket: unknown, err: HandshakeError) => void; statuses: number[] } {
  const statuses: number[] = [];
  return { refuse: (_socket, err) => statuses.push(err.status), statuses };
}

describe('readRequestHead', () => {
  it('resolves with the head split across chunks and the bytes after it, pauses the socket and lets go of it', async () => {
    const socket = new PassThrough();
    const { refuse, statuses } = refusals();
    const reading = readRequestHead(socket, {}, 10_000, refuse);
    expect(listenersOn(socket)).toBe(4);
    socket.write(REQUEST.slice(0, 20));
    socket.write(REQUEST.slice(20) + 'after');
    const { head, rest } = await reading;
    expect(head.method).toBe('GET');
    expect(head.target).toBe('/chat');
    expect(head.headers.get('upgrade')).toBe('websocket');
    expect(rest.toString()).toBe('after');
    expect(socket.isPaused()).toBe(true);
    expect(listenersOn(socket)).toBe(0);
    expect(statuses).toEqual([]);
  });

  it('rejects with 400 when the socket ends before the head is whole, and destroys it', async () => {
    const socket = new PassThrough();
    const { refuse, statuses } = refusals();
    const reading = readRequestHead(socket, {}, 10_000, refuse);
    socket.end('GET / HTTP/1.1\r\n');
    const err = await reading.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HandshakeError);
    expect((err as HandshakeError).status).toBe(400);
    expect((err as HandshakeError).message).toMatch(/closed during the handshake/);
    expect(socket.destroyed).toBe(true);
    expect(listenersOn(socket)).toBe(0);
    expect(statuses).toEqual([]); // nobody to answer: the peer is gone
  });

  it('refuses a malformed head with its status', async () => {
    const socket = new PassThrough();
    const { refuse, statuses } = refusals();
    const reading = readRequestHead(socket, {}, 10_000, refuse);
    socket.write('GET / HTTP/1.1\nHost: x\r\n\r\n');
    await expect(reading).rejects.toMatchObject({ status: 400 });
    expect(statuses).toEqual([400]);
    expect(listenersOn(socket)).toBe(0);
  });

  it('refuses with 408 a head that does not come by the deadline', async () => {
    const socket = new PassThrough();
    const { refuse, statuses } = refusals();
    const reading = readRequestHead(socket, {}, 1, refuse);
    socket.write('GET / HTTP/1.1\r\n');
    await expect(reading).rejects.toMatchObject({ status: 408 });
    expect(statuses).toEqual([408]);
    expect(listenersOn(socket)).toBe(0);
  });
});
