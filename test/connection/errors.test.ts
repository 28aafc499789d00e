/**
 * Errors that say why: a write on a connection the peer failed names the close code and reason;
 * a write after `closeNow()` says the connection is closed; invalid deadlines and limits are
 * refused at the call.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { once } from 'node:events';
import { CloseSentError, type Conn, isCloseError } from '../../src/index.js';
import { onCleanup, rawServer } from '../helpers/servers.js';

async function serverAndPeer(options = {}): Promise<{ conn: Conn; ws: WebSocket }> {
  let accepted!: (conn: Conn) => void;
  const connection = new Promise<Conn>((resolve) => (accepted = resolve));
  const server = await rawServer((conn) => {
    accepted(conn);
    return conn.closed.then(() => undefined);
  }, options);
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/`);
  onCleanup(() => ws.terminate());
  await once(ws, 'open');
  return { conn: await connection, ws };
}

describe('errors that say why', () => {
  it('a write after the peer sent an over-limit message names 1009 and the reason', async () => {
    const { conn, ws } = await serverAndPeer({ readLimit: 16 });
    ws.send(Buffer.alloc(100));
    const [code] = (await once(ws, 'close')) as [number];
    expect(code).toBe(1009);
    const err = await conn.writeMessage(1, 'late').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CloseSentError);
    expect(String((err as Error).message)).toMatch(/failed with 1009: message exceeds the read limit of 16 bytes/);
  });

  it('a write after the peer closed names its code and reason', async () => {
    const { conn, ws } = await serverAndPeer();
    ws.close(4001, 'done here');
    await conn.closed;
    const err = (await conn.writeMessage(1, 'late').catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/peer closed the connection with 4001 \(done here\)/);
  });

  it('a write after our own close() is gorilla\'s plain "close sent"', async () => {
    const { conn } = await serverAndPeer();
    void conn.close();
    const err = (await conn.writeMessage(1, 'late').catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(CloseSentError);
    expect(err.message).toBe('websocket: close sent');
  });

  it('a write after closeNow() says the connection is closed, not "close sent"', async () => {
    const { conn } = await serverAndPeer();
    conn.closeNow();
    const err = await conn.writeMessage(1, 'late').catch((e: unknown) => e);
    expect(isCloseError(err, 1006)).toBe(true);
    expect((err as Error).message).toMatch(/connection closed locally/);
    expect(err).not.toBeInstanceOf(CloseSentError);
  });

  it('invalid deadlines and limits are refused at the call', async () => {
    const { conn } = await serverAndPeer();
    expect(() => conn.setReadDeadline('soon' as unknown as Date)).toThrow(TypeError);
    expect(() => conn.setReadDeadline(new Date('not a date'))).toThrow(TypeError);
    expect(() => conn.setWriteDeadline(Number.NaN)).toThrow(TypeError);
    expect(() => conn.setReadLimit(0)).toThrow(RangeError);
    expect(() => conn.setReadLimit('1' as unknown as number)).toThrow(RangeError);
    conn.setReadDeadline(null);
    conn.setWriteDeadline(new Date(Date.now() + 60_000));
  });
});
