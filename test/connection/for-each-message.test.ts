/**
 * `Conn.forEachMessage()`: messages handed to a function as they arrive, with the endings,
 * ordering, backpressure and refusals of `for await` and `readMessage()`.
 */
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DeadlineExceededError, type Message, type MessageHandler, ProtocolError, ReadConflictError, formatCloseMessage, isCloseError } from '../../src/index.js';
import { clientFrame } from '../helpers/raw-client.js';
import { deferred, onCleanup, rawServer, serverConnAndRawClient as pair } from '../helpers/servers.js';
import { settled } from '../helpers/settle.js';

const text = (m: Message): string => m.data.toString();

describe('forEachMessage', () => {
  it('hands every message over in order and resolves quietly on the peer close', async () => {
    const { conn, client } = await pair();
    const seen: string[] = [];
    const done = conn.forEachMessage((m) => void seen.push(text(m)));
    // Many frames in one TCP write: one read delivers them all, in order.
    client.write(Buffer.concat(['a', 'b', 'c', 'd'].map((t) => clientFrame({ opcode: 1, payload: Buffer.from(t) }))));
    client.send({ opcode: 8, payload: formatCloseMessage(4001, 'bye') });
    await expect(done).resolves.toBeUndefined();
    expect(seen).toEqual(['a', 'b', 'c', 'd']);
    expect(await conn.closed).toMatchObject({ code: 4001, reason: 'bye', wasClean: true });
  });

  it('ends quietly on a protocol error and on a dropped connection, after what arrived before', async () => {
    const a = await pair();
    const seenA: string[] = [];
    a.client.write(Buffer.concat([clientFrame({ opcode: 1, payload: Buffer.from('before') }), clientFrame({ opcode: 3 })]));
    await a.conn.forEachMessage((m) => void seenA.push(text(m)));
    expect(seenA).toEqual(['before']);
    expect(await a.client.closeCode()).toBe(1002);
    expect((await a.conn.closed).error).toBeInstanceOf(ProtocolError);

    const b = await pair();
    const seenB: string[] = [];
    b.client.send({ opcode: 2, payload: Buffer.from('last') });
    b.client.destroy();
    await b.conn.forEachMessage((m) => void seenB.push(text(m)));
    expect(seenB).toEqual(['last']);
    expect(isCloseError((await b.conn.closed).error, 1006)).toBe(true);
  });

  it('does not call the handler inside the call that starts it, even with messages waiting', async () => {
    const { conn, client } = await pair();
    client.send({ opcode: 1, payload: Buffer.from('queued') });
    await settled(() => conn.readBufferedAmount);
    expect(conn.readBufferedAmount).toBe(6);
    const seen: string[] = [];
    const done = conn.forEachMessage((m) => void seen.push(text(m)));
    expect(seen).toEqual([]);
    client.send({ opcode: 8, payload: formatCloseMessage(1000) });
    await done;
    expect(seen).toEqual(['queued']);
  });

  it('an async handler gets the next message only once its promise settled', async () => {
    const { conn, client } = await pair();
    const seen: string[] = [];
    let running = 0;
    let most = 0;
    const done = conn.forEachMessage(async (m) => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setImmediate(resolve));
      seen.push(text(m));
      running--;
    });
    client.write(Buffer.concat(['1', '2', '3', '4', '5'].map((t) => clientFrame({ opcode: 1, payload: Buffer.from(t) }))));
    client.send({ opcode: 8, payload: formatCloseMessage(1000) });
    await done;
    expect(seen).toEqual(['1', '2', '3', '4', '5']);
    expect(most).toBe(1);
  });

  it('echoes with the write as the handler result, every message in order; the handler gets the connection', async () => {
    const { conn, client } = await pair();
    const echo: MessageHandler = ({ type, data }, to) => {
      expect(to).toBe(conn);
      return to.writeMessage(type, data);
    };
    const done = conn.forEachMessage(echo);
    const count = 2000;
    const frames: Buffer[] = [];
    for (let i = 0; i < count; i++) frames.push(clientFrame({ opcode: 1, payload: Buffer.from(`m${i}`) }));
    client.write(Buffer.concat(frames));
    for (let i = 0; i < count; i++) expect((await client.nextFrame()).payload.toString()).toBe(`m${i}`);
    client.send({ opcode: 8, payload: formatCloseMessage(1000) });
    await done;
  });

  it('rejects with what the handler threw; the messages after it stay for the next read', async () => {
    const { conn, client } = await pair();
    const bug = new Error('handler bug');
    const done = conn.forEachMessage((m) => {
      if (text(m) === 'bad') throw bug;
    });
    client.write(Buffer.concat(['ok', 'bad', 'next'].map((t) => clientFrame({ opcode: 1, payload: Buffer.from(t) }))));
    await expect(done).rejects.toBe(bug);
    expect(text(await conn.readMessage())).toBe('next');
    expect(conn.state).toBe('open');
  });

  it('rejects whatever the handler throws, undefined included, and when its thenable fails', async () => {
    const a = await pair();
    const thrown = a.conn.forEachMessage(() => {
      throw undefined; // not an Error, and not even a value
    });
    a.client.send({ opcode: 1, payload: Buffer.from('x') });
    await expect(thrown.then(() => 'resolved', (e: unknown) => ['rejected', e])).resolves.toEqual(['rejected', undefined]);

    const b = await pair();
    const broken: PromiseLike<void> = {
      then() {
        throw new Error('then broke');
      },
    };
    const done = b.conn.forEachMessage(() => broken);
    b.client.send({ opcode: 1, payload: Buffer.from('y') });
    await expect(done).rejects.toThrow('then broke');
    expect(b.conn.state).toBe('open');
  });

  it('rejects with the rejection of an async handler', async () => {
    const { conn, client } = await pair();
    const done = conn.forEachMessage(async () => {
      await Promise.resolve();
      throw new Error('async bug');
    });
    client.send({ opcode: 1, payload: Buffer.from('x') });
    await expect(done).rejects.toThrow('async bug');
  });

  it('refuses other reads while it runs, and refuses to start while a read waits (ReadConflictError)', async () => {
    const { conn, client } = await pair();
    const waiting = conn.readMessage();
    await expect(conn.forEachMessage(() => {})).rejects.toBeInstanceOf(ReadConflictError);
    client.send({ opcode: 1, payload: Buffer.from('first') });
    expect(text(await waiting)).toBe('first');

    const ac = new AbortController();
    const done = conn.forEachMessage(() => {}, { signal: ac.signal });
    await expect(conn.readMessage()).rejects.toBeInstanceOf(ReadConflictError);
    await expect(conn.nextReader()).rejects.toBeInstanceOf(ReadConflictError);
    await expect(conn[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(ReadConflictError);
    await expect(conn.forEachMessage(() => {})).rejects.toBeInstanceOf(ReadConflictError);
    await expect(conn.forEachMessage('no' as unknown as () => void)).rejects.toBeInstanceOf(TypeError);
    ac.abort(new Error('stop'));
    await expect(done).rejects.toThrow('stop');
  });

  it('gives up when its signal fires; messages that came after are read later, none lost', async () => {
    const { conn, client } = await pair();
    const ac = new AbortController();
    const seen: string[] = [];
    const done = conn.forEachMessage((m) => void seen.push(text(m)), { signal: ac.signal });
    client.send({ opcode: 1, payload: Buffer.from('one') });
    await settled(() => seen.length);
    ac.abort(new Error('enough'));
    await expect(done).rejects.toThrow('enough');
    client.send({ opcode: 1, payload: Buffer.from('two') });
    expect(seen).toEqual(['one']);
    expect(text(await conn.readMessage())).toBe('two');
    const already = AbortSignal.abort(new Error('before'));
    await expect(conn.forEachMessage(() => {}, { signal: already })).rejects.toThrow('before');
  });

  it('fails with DeadlineExceededError at the read deadline; the connection stays usable', async () => {
    const { conn, client } = await pair();
    conn.setReadDeadline(Date.now() + 50);
    await expect(conn.forEachMessage(() => {})).rejects.toBeInstanceOf(DeadlineExceededError);
    await expect(conn.forEachMessage(() => {})).rejects.toBeInstanceOf(DeadlineExceededError); // still past it
    conn.setReadDeadline(null);
    const got = deferred<string>();
    const done = conn.forEachMessage((m) => got.resolve(text(m)));
    client.send({ opcode: 1, payload: Buffer.from('late') });
    expect(await got.promise).toBe('late');
    client.send({ opcode: 8, payload: formatCloseMessage(1000) });
    await done;
  });

  it('a handler still busy holds input to about readBufferSize: backpressure on the peer', async () => {
    const readBufferSize = 64 * 1024;
    const { conn, client } = await pair({ readBufferSize });
    const release = deferred<void>();
    let handled = 0;
    const done = conn.forEachMessage(async () => {
      if (handled++ === 0) await release.promise;
    });
    const message = Buffer.alloc(16 * 1024, 3);
    const count = 512; // 8 MiB
    for (let i = 0; i < count; i++) client.send({ opcode: 2, payload: message });
    await settled(() => `${conn.readBufferedAmount}/${client.socket.writableLength}`);
    expect(handled).toBe(1);
    expect(conn.readBufferedAmount).toBeLessThanOrEqual(readBufferSize + 64 * 1024 + message.length);
    expect(client.socket.writableLength).toBeGreaterThan(2 * 1024 * 1024);
    release.resolve();
    await settled(() => handled);
    expect(handled).toBe(count);
    client.send({ opcode: 8, payload: formatCloseMessage(1000) });
    await done;
  });

  it('a handler may close the connection; forEachMessage then resolves', async () => {
    const { conn, client } = await pair();
    const done = conn.forEachMessage((m) => {
      if (text(m) === 'quit') void conn.close(4000, 'asked to');
    });
    client.send({ opcode: 1, payload: Buffer.from('quit') });
    client.send({ opcode: 1, payload: Buffer.from('after') });
    expect(await client.closeCode()).toBe(4000);
    client.send({ opcode: 8, payload: formatCloseMessage(4000) });
    await done;
    expect((await conn.closed).code).toBe(4000);
  });

  it('compressed messages, inflated on zlib threads or inline, arrive whole and in order', async () => {
    const got: string[] = [];
    const finished = deferred<void>();
    const server = await rawServer(
      (conn) => {
        conn.forEachMessage((m) => void got.push(m.data.toString())).then(finished.resolve, finished.reject);
      },
      { enableCompression: true },
    );
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}`, { perMessageDeflate: { threshold: 0 } });
    onCleanup(() => ws.terminate());
    await once(ws, 'open');
    const sent = ['small', 'x'.repeat(300_000), 'middle '.repeat(100), 'y'.repeat(2_000_000), 'end'];
    for (const s of sent) ws.send(s);
    ws.close(1000);
    await finished.promise;
    expect(got).toEqual(sent);
  });
});
