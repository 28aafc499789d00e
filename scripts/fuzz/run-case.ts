/**
 * Plays one fuzz case against a server over a real socket and checks what comes back against the
 * oracle: the echoes and pongs the RFC allows, then either our closing handshake completing
 * (nothing was wrong) or a close frame with a code the RFC allows for what was sent, then TCP
 * closed by the server. Returns null when all is as allowed, or what went wrong.
 */
import { connect, type Socket } from 'node:net';
import type { FuzzCase } from './cases.js';
import { type Expectation, type FuzzLimits, expectationFor } from './oracle.js';
import { type ServerFrame, ServerFrameReader, encodeFrame, inflateMessage } from './wire.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const OFFER = 'permessage-deflate; client_no_context_takeover; server_no_context_takeover';

export interface CaseOptions {
  host?: string;
  /** How long to wait for the server at each step. */
  timeout?: number;
}

class Peer {
  readonly socket: Socket;
  private head = Buffer.alloc(0);
  responseHead: string | null = null;
  readonly reader = new ServerFrameReader();
  ended = false;
  private wakers: Array<() => void> = [];

  constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      if (this.responseHead === null) {
        this.head = Buffer.concat([this.head, chunk]);
        const end = this.head.indexOf('\r\n\r\n');
        if (end < 0) return;
        this.responseHead = this.head.subarray(0, end + 4).toString('latin1');
        chunk = this.head.subarray(end + 4);
      }
      this.reader.push(chunk);
      this.wake();
    });
    const ended = (): void => {
      this.ended = true;
      this.wake();
    };
    socket.on('end', ended);
    socket.on('close', ended);
    socket.on('error', () => {});
  }

  /** Resolves when `done()` holds, or rejects after `timeout` ms. */
  until(done: () => boolean, timeout: number, what: string): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeout} ms waiting for ${what}`)), timeout);
      const check = (): void => {
        if (done()) {
          clearTimeout(timer);
          resolve();
        } else this.wakers.push(check);
      };
      this.wakers.push(check);
    });
  }

  private wake(): void {
    const wakers = this.wakers;
    this.wakers = [];
    for (const w of wakers) w();
  }
}

function connectTo(port: number, host: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    socket.once('connect', () => {
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** The byte stream cut at the case's points. */
function chunksOf(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => Math.floor(c * bytes.length)))].filter((p) => p > 0 && p < bytes.length).sort((a, b) => a - b);
  const edges = [0, ...points, bytes.length];
  const out: Buffer[] = [];
  for (let i = 0; i + 1 < edges.length; i++) if (edges[i + 1]! > edges[i]!) out.push(bytes.subarray(edges[i], edges[i + 1]));
  return out;
}

/** Plays `c` against the server at `port`; null when everything the server did is allowed. */
export async function runCase(port: number, c: FuzzCase, limits: FuzzLimits, options: CaseOptions = {}): Promise<string | null> {
  const timeout = options.timeout ?? 10_000;
  const socket = await connectTo(port, options.host ?? '127.0.0.1');
  const peer = new Peer(socket);
  try {
    return await play(peer, c, expectationFor(c.frames, c.deflate, limits), timeout);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    socket.destroy();
  }
}

async function play(peer: Peer, c: FuzzCase, expected: Expectation, timeout: number): Promise<string | null> {
  const lines = ['GET / HTTP/1.1', 'Host: 127.0.0.1', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Key: ${KEY}`, 'Sec-WebSocket-Version: 13'];
  if (c.deflate) lines.push(`Sec-WebSocket-Extensions: ${OFFER}`);
  peer.socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  await peer.until(() => peer.responseHead !== null || peer.ended, timeout, 'the handshake response');
  const head = peer.responseHead ?? '';
  if (!head.startsWith('HTTP/1.1 101 ')) return `handshake refused: ${head.split('\r\n')[0] ?? '(nothing)'}`;
  const negotiated = /\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n/i.test(head);
  if (negotiated !== c.deflate) return `permessage-deflate ${c.deflate ? 'not ' : ''}negotiated: ${head}`;

  const bytes = Buffer.concat(c.frames.map(encodeFrame));
  for (const chunk of chunksOf(bytes, c.cuts)) {
    if (peer.ended) break;
    peer.socket.write(chunk);
    await new Promise((r) => setImmediate(r));
  }

  const frames = peer.reader.frames;
  const closeIndex = (): number => frames.findIndex((f) => f.opcode === 0x8);
  const dataFrames = (): ServerFrame[] => frames.filter((f) => f.opcode === 1 || f.opcode === 2);
  const pongFrames = (): ServerFrame[] => frames.filter((f) => f.opcode === 0xa);

  if (expected.outcome.kind === 'clean') {
    // Nothing was wrong: every message and ping is answered; then our close completes.
    await peer.until(
      () => (dataFrames().length >= expected.echoes.length && pongFrames().length >= expected.pongs.length) || closeIndex() >= 0 || peer.ended,
      timeout,
      `${expected.echoes.length} echoes and ${expected.pongs.length} pongs`,
    );
    if (closeIndex() >= 0 || peer.ended) return `the server ended a valid session: ${summary(frames)}`;
    peer.socket.write(encodeFrame({ fin: true, rsv1: false, rsv2: false, rsv3: false, opcode: 8, masked: true, maskKey: 0x01020304, payload: Buffer.from([0x03, 0xe8]), lengthForm: 'minimal' }));
  }
  await peer.until(() => closeIndex() >= 0 || peer.ended, timeout, 'the server’s close frame');
  const at = closeIndex();
  if (at < 0) return `TCP closed without a close frame after ${summary(frames)}`;
  await peer.until(() => peer.ended, timeout, 'the server to close TCP after its close frame');

  // Frames: well-formed server frames, nothing after the close.
  for (const f of frames) {
    if (f.masked || f.rsv2 || f.rsv3 || !f.fin || (f.rsv1 && (!c.deflate || (f.opcode !== 1 && f.opcode !== 2)))) return `malformed server frame ${JSON.stringify({ ...f, payload: f.payload.length })}`;
  }
  if (at !== frames.length - 1) return `frames after the close frame: ${summary(frames)}`;

  // Echoes: in order, a prefix of what is allowed (all of them when nothing was wrong).
  const echoes = dataFrames();
  if (echoes.length > expected.echoes.length) return `${echoes.length} echoes, at most ${expected.echoes.length} allowed (${expected.why})`;
  for (let i = 0; i < echoes.length; i++) {
    const f = echoes[i]!;
    const want = expected.echoes[i]!;
    let data: Buffer;
    try {
      data = f.rsv1 ? inflateMessage(f.payload) : f.payload;
    } catch (err) {
      return `echo ${i} does not inflate: ${String(err)}`;
    }
    if (f.opcode !== want.opcode || !data.equals(want.data)) return `echo ${i} differs: opcode ${f.opcode} length ${data.length}, expected opcode ${want.opcode} length ${want.data.length}`;
  }
  const pongs = pongFrames();
  if (pongs.length < expected.minPongs || pongs.length > expected.pongs.length) return `${pongs.length} pongs, expected ${expected.minPongs}..${expected.pongs.length}`;
  for (let i = 0; i < pongs.length; i++) if (!pongs[i]!.payload.equals(expected.pongs[i]!)) return `pong ${i} differs from its ping`;

  // The close frame: a code allowed for what was sent, a reason that is UTF-8 and fits (§5.5.1).
  const close = frames[at]!.payload;
  if (close.length === 1 || close.length > 125) return `close payload of ${close.length} bytes`;
  const code = close.length === 0 ? 1005 : close.readUInt16BE(0);
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(close.subarray(2));
  } catch {
    return 'close reason is not UTF-8';
  }
  if (expected.outcome.kind === 'clean') {
    if (!close.equals(Buffer.from([0x03, 0xe8]))) return `our close 1000 was answered with ${close.toString('hex')}`;
    if (echoes.length !== expected.echoes.length || pongs.length !== expected.pongs.length) return 'a valid session lost echoes or pongs';
    return null;
  }
  const { codes, echoOfClose, failureCodes } = expected.outcome;
  if (!codes.has(code)) return `close code ${code} ("${close.subarray(2).toString()}"), allowed ${[...codes].join('/')} (${expected.why})`;
  // An answer to our close frame echoes its code and nothing else (an empty one for an empty one).
  if (!failureCodes.has(code) && echoOfClose !== null && !close.equals(echoOfClose) && !(code === 1000 && echoOfClose.length === 0 && close.length === 2)) {
    return `our close ${echoOfClose.toString('hex')} was answered with ${close.toString('hex')}`;
  }
  return null;
}

function summary(frames: readonly ServerFrame[]): string {
  const show = (f: ServerFrame): string =>
    f.opcode === 0x8 && f.payload.length >= 2 ? `close ${f.payload.readUInt16BE(0)} "${f.payload.subarray(2).toString()}"` : `op${f.opcode}:${f.payload.length}`;
  return frames.map(show).join(' ') || '(no frames)';
}
