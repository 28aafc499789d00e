/**
 * A scripted raw-socket WebSocket client for tests: it writes exactly the bytes a test asks for
 * (valid or not) and decodes what the server sends back with the tests' own frame codec
 * (helpers/wire, written apart from src/), so a framing bug in the library shows here.
 *
 * Waits are on bytes and events; their timeouts are outer limits that turn a hang into a
 * failure, generous enough never to fire on a loaded machine when the test passes.
 */
import { connect, type Socket } from 'node:net';
import { WireDecoder } from './wire/decode.js';
import { encodeWireFrame } from './wire/encode.js';
import type { WireFrame, WireFrameInit } from './wire/frame.js';

/** A frame the server sent, decoded by the tests' codec. */
export type ReceivedFrame = WireFrame;

/** A client frame to send: masked by `clientFrame` with a key of its own. */
export type FrameInit = Omit<WireFrameInit, 'maskKey'>;

/** How long a wait may take before it is called a hang (an outer limit, not a speed target). */
export const WAIT_LIMIT = 30_000;

export const TEST_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

export function upgradeRequest(path = '/', extra: string[] = [], host = '127.0.0.1'): string {
  return [
    `GET ${path} HTTP/1.1`,
    `Host: ${host}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${TEST_KEY}`,
    'Sec-WebSocket-Version: 13',
    ...extra,
    '',
    '',
  ].join('\r\n');
}

let maskSeed = 0x9e3779b9;
/** A masked client frame (deterministic keys keep failures reproducible). */
export function clientFrame(init: FrameInit): Buffer {
  maskSeed = (Math.imul(maskSeed, 1664525) + 1013904223) >>> 0;
  const maskKey = Buffer.alloc(4);
  maskKey.writeUInt32BE(maskSeed);
  return encodeWireFrame({ ...init, maskKey });
}

export class RawClient {
  readonly socket: Socket;
  private received = Buffer.alloc(0);
  private headDone = false;
  private frames: ReceivedFrame[] = [];
  private waiters: Array<() => void> = [];
  private readonly decoder = new WireDecoder();
  ended = false;
  closed = false;
  responseHead = '';
  /** Bytes received so far, the response head included: for waits on a count of bytes. */
  bytesReceived = 0;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static async connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    const socket = connect(port, host);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.setNoDelay(true);
    return new RawClient(socket);
  }

  /** Connects and completes a valid handshake; returns the client ready for frames. */
  static async open(port: number, path = '/', extra: string[] = []): Promise<RawClient> {
    const client = await RawClient.connect(port);
    client.write(upgradeRequest(path, extra));
    const head = await client.readHead();
    if (!head.startsWith('HTTP/1.1 101')) throw new Error(`handshake refused: ${head}`);
    return client;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Writes `data` one byte per write (each its own TCP segment with Nagle off, usually). */
  async writeSlowly(data: Buffer, bytesPerWrite = 1): Promise<void> {
    for (let i = 0; i < data.length; i += bytesPerWrite) {
      this.socket.write(data.subarray(i, i + bytesPerWrite));
      await new Promise((r) => setImmediate(r));
    }
  }

  send(init: FrameInit): void {
    this.write(clientFrame(init));
  }

  /** The response head (status line and headers), once the blank line has arrived. */
  async readHead(timeout = WAIT_LIMIT): Promise<string> {
    await this.until(() => this.headDone || this.ended || this.closed, timeout);
    return this.responseHead;
  }

  /** The whole HTTP response (head and body) of a refused handshake, read until the server closes. */
  async readAll(timeout = WAIT_LIMIT): Promise<string> {
    await this.until(() => this.ended || this.closed, timeout);
    return this.responseHead + this.received.toString('latin1');
  }

  async nextFrame(timeout = WAIT_LIMIT): Promise<ReceivedFrame> {
    await this.until(() => this.frames.length > 0 || this.ended || this.closed, timeout);
    const frame = this.frames.shift();
    if (frame === undefined) throw new Error('connection ended before a frame arrived');
    return frame;
  }

  /** Waits for the server's close frame (skipping others) and returns its code (1005 if empty). */
  async closeCode(timeout = WAIT_LIMIT): Promise<number> {
    for (;;) {
      const frame = await this.nextFrame(timeout);
      if (frame.opcode === 0x8) return frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
    }
  }

  async waitClosed(timeout = WAIT_LIMIT): Promise<void> {
    await this.until(() => this.closed || this.ended, timeout);
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.bytesReceived += chunk.length;
    if (!this.headDone) {
      this.received = Buffer.concat([this.received, chunk]);
      const end = this.received.indexOf('\r\n\r\n');
      if (end < 0) return;
      this.responseHead = this.received.subarray(0, end + 4).toString('latin1');
      this.headDone = true;
      const rest = Buffer.from(this.received.subarray(end + 4));
      this.received = Buffer.alloc(0);
      this.wake();
      if (this.upgraded()) this.decode(rest);
      else this.received = rest;
      return;
    }
    if (this.upgraded()) this.decode(chunk);
    else this.received = Buffer.concat([this.received, chunk]);
  }

  private upgraded(): boolean {
    return this.responseHead.startsWith('HTTP/1.1 101');
  }

  private decode(bytes: Buffer): void {
    const frames = this.decoder.push(bytes);
    if (frames.length === 0) return;
    this.frames.push(...frames);
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private async until(condition: () => boolean, timeout: number): Promise<void> {
    const deadline = Date.now() + timeout;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting on the raw client');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}
