/**
 * The driver runs over any Node `Duplex`, not only a TCP socket: here two connections talk over
 * an in-memory pair of streams with no addresses, no `setNoDelay`, no file descriptor.
 */
import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Conn } from '../../src/connection/conn.js';

/** Two Duplex ends: what one writes, the other reads. Ending one ends the other's readable side. */
function duplexPair(): [Duplex, Duplex] {
  let a!: Duplex;
  let b!: Duplex;
  const make = (other: () => Duplex): Duplex =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        other().push(chunk);
        callback();
      },
      final(callback) {
        other().push(null);
        callback();
      },
    });
  a = make(() => b);
  b = make(() => a);
  // A half-closed stream closes once both sides are done, as a socket does.
  for (const end of [a, b]) end.on('end', () => end.end());
  return [a, b];
}

describe('a connection over any Duplex', () => {
  it('echoes text and binary, then completes the closing handshake cleanly', async () => {
    const [serverSide, clientSide] = duplexPair();
    const server = new Conn({ role: 'server', socket: serverSide });
    const client = new Conn({ role: 'client', socket: clientSide });
    expect(server.remoteAddress).toBeUndefined();
    expect(server.transport).toBe('http/1.1');
    const echoing = (async () => {
      for await (const { type, data } of server) await server.writeMessage(type, data);
    })();
    await client.writeMessage(1, 'hello');
    await client.writeMessage(2, Buffer.from([1, 2, 3]));
    expect((await client.readMessage()).data.toString()).toBe('hello');
    expect([...(await client.readMessage()).data]).toEqual([1, 2, 3]);
    await client.close(1000, 'bye');
    await echoing;
    expect(await server.closed).toEqual({ code: 1000, reason: 'bye', wasClean: true, error: null });
    expect(client.closeInfo).toEqual({ code: 1000, reason: '', wasClean: true, error: null }); // the echo carries the code only (§5.5.1)
  });

  it('forEachMessage works on both sides, without a socket: a server echo and a client reader', async () => {
    const [serverSide, clientSide] = duplexPair();
    const server = new Conn({ role: 'server', socket: serverSide });
    const client = new Conn({ role: 'client', socket: clientSide });
    const serving = server.forEachMessage(({ type, data }, conn) => conn.writeMessage(type, data));
    const got: string[] = [];
    const reading = client.forEachMessage(async (m) => {
      got.push(m.data.toString());
      if (got.length === 3) await client.close(1000);
    });
    for (const t of ['one', 'two', 'three']) await client.writeMessage(1, t);
    await Promise.all([serving, reading]);
    expect(got).toEqual(['one', 'two', 'three']);
    expect((await server.closed).code).toBe(1000);
  });

  it('drops the transport with the given abort when the connection fails', async () => {
    const [serverSide, clientSide] = duplexPair();
    let aborted = 0;
    const server = new Conn({ role: 'server', socket: serverSide, abortTransport: () => (aborted++, serverSide.destroy()) });
    server.closeNow();
    const info = await server.closed;
    expect(aborted).toBe(1);
    expect(info).toMatchObject({ code: 1006, wasClean: false });
    clientSide.destroy();
  });
});
