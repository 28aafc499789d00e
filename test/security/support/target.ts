/**
 * The server under attack: a real `serve()` instance over loopback sockets, echoing every message,
 * that records how each connection ended so a test can check the close frame it received against
 * the reason the server meant to send. Also: the check that the server keeps serving, and a
 * guard that fails the test if anything escaped as an uncaught exception or unhandled rejection.
 */
import { expect } from 'vitest';
import type { Conn, UpgradeRequest, UpgraderOptions, WebSocketServer } from '../../../src/index.js';
import { truncateCloseReason } from '../../../src/protocol/close.js';
import { ProtocolError } from '../../../src/protocol/errors.js';
import { RawClient, type ReceivedFrame } from '../../helpers/raw-client.js';
import { onCleanup, rawServer } from '../../helpers/servers.js';

export interface Ending {
  /** What the server's last read threw: the peer's close, or the rule it broke. */
  error: unknown;
  conn: Conn;
}

export type Target = WebSocketServer & {
  errors: unknown[];
  /** How each connection's reads ended, by the client's port. */
  endings: Map<number, Ending>;
  /** Connections handed to the handler, in order. */
  conns: Conn[];
  /** The upgrade requests handed to the handler, in the same order. */
  requests: UpgradeRequest[];
};

/** A `serve()` echo server with `options` on its `Upgrader`, closed after the test. */
export async function startTarget(options: UpgraderOptions = {}, handler?: (conn: Conn) => Promise<void>): Promise<Target> {
  const endings = new Map<number, Ending>();
  const conns: Conn[] = [];
  const requests: UpgradeRequest[] = [];
  const server = await rawServer(async (conn, request) => {
    conns.push(conn);
    requests.push(request);
    const port = conn.remoteAddress?.port ?? -1;
    try {
      if (handler !== undefined) await handler(conn);
      else for (;;) {
        const { type, data } = await conn.readMessage();
        await conn.writeMessage(type, data);
      }
    } catch (error) {
      endings.set(port, { error, conn });
    }
  }, { checkOrigin: () => true, ...options });
  return Object.assign(server, { endings, conns, requests });
}

/** A raw client whose handshake succeeded, destroyed after the test. */
export async function openClient(target: Target, extra: string[] = []): Promise<RawClient> {
  const client = await RawClient.open(target.port, '/', extra);
  onCleanup(() => client.destroy());
  return client;
}

/** A raw client connected but not upgraded, destroyed after the test. */
export async function connectClient(target: { port: number }): Promise<RawClient> {
  const client = await RawClient.connect(target.port);
  onCleanup(() => client.destroy());
  return client;
}

/** The reason bytes the server must send for the error that ended a connection. */
function intendedReason(error: unknown): string {
  return error instanceof ProtocolError ? truncateCloseReason(error.message) : '';
}

/**
 * Waits for the server's close frame and checks it byte for byte: the code, then a reason that is
 * exactly the text the server meant (the truncated message of the rule broken; nothing when it
 * echoes the peer's close). Any stray byte, such as uninitialised memory, fails the test.
 */
export async function expectClose(target: Target, client: RawClient, code: number, timeout = 10_000): Promise<ReceivedFrame> {
  let frame: ReceivedFrame;
  do frame = await client.nextFrame(timeout);
  while (frame.opcode !== 0x8);
  expect(frame.payload.length).toBeGreaterThanOrEqual(2);
  expect(frame.payload.readUInt16BE(0)).toBe(code);
  const port = client.socket.localPort!;
  await expect.poll(() => target.endings.has(port), { timeout }).toBe(true);
  const reason = intendedReason(target.endings.get(port)!.error);
  expect(frame.payload.subarray(2)).toEqual(Buffer.from(reason, 'utf8'));
  await client.waitClosed(timeout);
  return frame;
}

/** A fresh client upgrades, gets a text and a binary message echoed, and closes cleanly. */
export async function expectStillServing(target: { port: number }): Promise<void> {
  const client = await RawClient.open(target.port);
  try {
    client.send({ opcode: 1, payload: Buffer.from('still serving') });
    client.send({ opcode: 2, payload: Buffer.from([0, 1, 2, 255]) });
    const text = await client.nextFrame(10_000);
    const binary = await client.nextFrame(10_000);
    expect([text.opcode, text.payload.toString()]).toEqual([1, 'still serving']);
    expect([binary.opcode, [...binary.payload]]).toEqual([2, [0, 1, 2, 255]]);
    client.send({ opcode: 8, payload: Buffer.from([0x03, 0xe8]) });
    const close = await client.nextFrame(10_000);
    expect([close.opcode, [...close.payload]]).toEqual([8, [0x03, 0xe8]]);
    await client.waitClosed(10_000);
  } finally {
    client.destroy();
  }
}

/** Fails the test if an exception or a rejection escaped while it ran. */
export function guardProcess(): void {
  const escaped: unknown[] = [];
  const record = (err: unknown): void => void escaped.push(err);
  process.on('uncaughtException', record);
  process.on('unhandledRejection', record);
  onCleanup(() => {
    process.off('uncaughtException', record);
    process.off('unhandledRejection', record);
    expect(escaped).toEqual([]);
  });
}

/** Reads a refused handshake's whole answer: status code and the text of the response. */
export async function refusal(client: RawClient, timeout = 10_000): Promise<{ status: number; response: string }> {
  const response = await client.readAll(timeout);
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(response)?.[1] ?? 0);
  return { status, response };
}
