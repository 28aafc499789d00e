/**
 * The scripted peer of the conformance suite: one end of one WebSocket connection over a raw
 * socket, playing either role against the testee. It writes exactly the frames a case asks for
 * (masked when it plays the client, §5.3), delivered whole, frame by frame, or in TCP chops of any
 * size; and it turns what the testee sends into a sequence of events (whole messages, pings,
 * pongs, the close frame, the end of TCP), checking every frame against the RFC on the way.
 * Anything the testee does wrong becomes a `violation` event, so no expectation can pass over it.
 *
 * Expectations take the next event and fail unless it is the one expected. That makes every case
 * exact in the way Autobahn's are: the testee must send what is expected, in order, and nothing
 * else before it.
 *
 * With permessage-deflate agreed in the opening handshake (RFC 7692), the peer compresses what it
 * is told to and inflates what the testee compresses, each direction as agreed; a message event
 * says whether it came compressed.
 */
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { expect } from 'vitest';
import { type DeflateAgreement, PeerCodec } from './deflate.js';
import { FrameReader, type FrameSpec, OP, type WireFrame, bytesOf, close, encodeFrame, ping } from './wire.js';
import { isValidUtf8 } from './utf8.js';

export type PeerRole = 'client' | 'server';
export type MessageType = 'text' | 'binary';

export type PeerEvent =
  /** `compressed`: RSV1 was set on its first frame (permessage-deflate), and `data` is inflated. */
  | { kind: 'message'; type: MessageType; data: Buffer; frames: number; compressed: boolean }
  | { kind: 'ping'; data: Buffer }
  | { kind: 'pong'; data: Buffer }
  /** `code` is null for a close frame without payload. */
  | { kind: 'close'; code: number | null; reason: string }
  | { kind: 'violation'; rule: string }
  /** The testee ended TCP: with a FIN, or abruptly (a reset, or the socket closing without one). */
  | { kind: 'eof'; abrupt: boolean };

/** How bytes go out: in one write, one write per frame, or in writes of `chop` bytes each. */
export type Delivery = 'whole' | 'frame-wise' | { chop: number };

export interface PeerOptions {
  /** permessage-deflate as agreed in the opening handshake; the testee may then set RSV1 on the first frame of a message. */
  deflate?: DeflateAgreement | null;
  /**
   * The client testee may end TCP as soon as the closing handshake is over, as §7.1.1 allows (MAY)
   * and `ws` does; by default the client must leave that to the server, as the RFC advises (SHOULD).
   */
  clientMayCloseTcpFirst?: boolean;
}

/** How a message is sent by {@link Peer.sendMessage}. */
export interface MessageOptions {
  /** Compress it (RSV1 on the first frame); needs permessage-deflate agreed. */
  compressed?: boolean;
  /** Split the payload as sent (compressed or not) into frames of at most this many bytes; 0: one frame. */
  fragmentSize?: number;
  delivery?: Delivery;
}

/** Long enough for a loaded CI machine; only a failing case ever waits this long. */
export const EVENT_TIMEOUT = 10_000;

/**
 * How long a client that failed the connection has to end TCP. Its FIN comes at once; a client
 * that waits for the server instead would end TCP only at its close timeout (5 s by default, for
 * our Conn), which this must stay under to tell the two apart.
 */
const FAILED_CLIENT_FIN_TIMEOUT = 4_000;

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class Peer {
  readonly role: PeerRole;
  /** permessage-deflate as agreed, or null. */
  readonly deflate: DeflateAgreement | null;
  private readonly socket: Socket;
  private readonly options: PeerOptions;
  private readonly reader = new FrameReader();
  private readonly codec: PeerCodec | null;
  /** Events in the order the testee caused them; an inflating message holds its place as a promise. */
  private readonly events: Array<PeerEvent | Promise<PeerEvent>> = [];
  private waiter: (() => void) | null = null;
  private message: { type: MessageType; pieces: Buffer[]; frames: number; compressed: boolean } | null = null;
  /** Messages inflate one after another: with context takeover, each depends on those before. */
  private inflating: Promise<unknown> = Promise.resolve();
  private lastMaskKey: Buffer | null = null;
  private closeReceived = false;
  private closeSent = false;
  private stopped = false;
  private testeeEndedTcp = false;
  private maskSeed = 0x2545f491;

  constructor(role: PeerRole, socket: Socket, head: Buffer, options: PeerOptions = {}) {
    this.role = role;
    this.socket = socket;
    this.options = options;
    this.deflate = options.deflate ?? null;
    this.codec = this.deflate === null ? null : new PeerCodec(this.deflate, role);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('end', () => this.ended(false));
    socket.on('error', () => this.ended(true));
    socket.on('close', () => this.ended(true));
    if (head.length > 0) this.receive(head);
  }

  // ---------------------------------------------------------------- sending

  /** Sends frames (masked if this peer is the client), delivered as asked. */
  async send(frames: FrameSpec | readonly FrameSpec[], delivery: Delivery = 'whole'): Promise<void> {
    const list: readonly FrameSpec[] = Array.isArray(frames) ? frames : [frames];
    if (list.some((f) => f.opcode === OP.close)) this.closeSent = true;
    const encoded = list.map((f) => encodeFrame(f, this.maskKeyFor(f)));
    if (delivery === 'frame-wise') {
      for (const bytes of encoded) {
        await this.write(bytes);
        await tick();
      }
      return;
    }
    await this.write(encoded.length === 1 ? encoded[0]! : Buffer.concat(encoded), delivery);
  }

  /**
   * Sends one message, compressed (§7.2.1: RSV1 on its first frame only) when asked, and split into
   * frames of `fragmentSize` bytes of the payload as sent, as Autobahn's auto-fragmentation does.
   */
  async sendMessage(type: MessageType, payload: Buffer, options: MessageOptions = {}): Promise<void> {
    let body = payload;
    if (options.compressed === true) {
      if (this.codec === null) throw new Error('test error: compressing without permessage-deflate agreed');
      body = await this.codec.compress(payload);
    }
    const size = options.fragmentSize ?? 0;
    const parts: Buffer[] = [];
    if (size <= 0 || body.length <= size) parts.push(body);
    else for (let i = 0; i < body.length; i += size) parts.push(body.subarray(i, i + size));
    const frames = parts.map(
      (part, i): FrameSpec => ({
        opcode: i > 0 ? OP.continuation : type === 'text' ? OP.text : OP.binary,
        payload: part,
        fin: i === parts.length - 1,
        rsv: i === 0 && options.compressed === true ? 4 : 0,
      }),
    );
    await this.send(frames, options.delivery);
  }

  /** The bytes of frames as this peer would send them, for cases that send only part of them. */
  encode(frames: readonly FrameSpec[]): Buffer {
    return Buffer.concat(frames.map((f) => encodeFrame(f, this.maskKeyFor(f))));
  }

  /** Writes raw bytes. Chops are separate writes with a turn of the event loop between them. */
  async write(bytes: Buffer, delivery: Exclude<Delivery, 'frame-wise'> = 'whole'): Promise<void> {
    if (delivery === 'whole') return this.writeOnce(bytes);
    for (let i = 0; i < bytes.length; i += delivery.chop) {
      await this.writeOnce(bytes.subarray(i, i + delivery.chop));
      await tick();
    }
  }

  private async writeOnce(bytes: Buffer): Promise<void> {
    if (this.socket.destroyed || this.socket.writableEnded) return;
    if (this.socket.write(bytes)) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  private maskKeyFor(frame: FrameSpec): Buffer | null {
    if (frame.maskKey !== undefined) return Buffer.from(frame.maskKey);
    if (!(frame.masked ?? this.role === 'client')) return null;
    // Deterministic keys keep a failing case reproducible; none is zero, which would not mask.
    this.maskSeed = (Math.imul(this.maskSeed, 1103515245) + 12345) >>> 0;
    const key = Buffer.alloc(4);
    key.writeUInt32BE((this.maskSeed | 0x01010101) >>> 0);
    return key;
  }

  // ---------------------------------------------------------------- expectations

  /** The next event, waiting at most `timeout` ms for it. */
  async next(what = 'an event', timeout = EVENT_TIMEOUT): Promise<PeerEvent> {
    const deadline = Date.now() + timeout;
    while (this.events.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeout} ms waiting for ${what} from the testee`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.events.shift()!;
  }

  /** The next event is this message; with `compressed`, it must (or must not) have come compressed. */
  async expectMessage(type: MessageType, data: Uint8Array | string, options: { compressed?: boolean } = {}): Promise<void> {
    const event = await this.next(`a ${type} message`);
    const compressed = options.compressed ?? (event.kind === 'message' && event.compressed);
    expect(describeEvent(event)).toBe(describeEvent({ kind: 'message', type, data: bytesOf(data), frames: 0, compressed }));
  }

  async expectPong(data: Uint8Array | string = ''): Promise<void> {
    const event = await this.next('a pong');
    expect(describeEvent(event)).toBe(describeEvent({ kind: 'pong', data: bytesOf(data) }));
  }

  /** The next event is a close frame with one of `codes` (null: a close frame without payload). */
  async expectClose(codes: ReadonlyArray<number | null>): Promise<Extract<PeerEvent, { kind: 'close' }>> {
    const event = await this.next(`a close frame (${codes.join(' or ')})`);
    if (event.kind !== 'close') throw new Error(`expected a close frame (${codes.join(' or ')}), got ${describeEvent(event)}`);
    expect(codes, `close code ${event.code}`).toContain(event.code);
    return event;
  }

  /**
   * The closing handshake is over: TCP must end now. The server ends it first (§7.1.1): when the
   * testee is the server it must send its FIN; when it is the client, it must not have ended TCP
   * (unless `clientMayCloseTcpFirst`), this peer ends it, and the client must follow.
   */
  async expectTcpClosed(): Promise<void> {
    if (this.role === 'server') {
      // A FIN that came with the close frame is read within one turn of the event loop. One sent
      // a little later is caught only by the cases that wait for it (cases/client.ts).
      await tick();
      if (this.testeeEndedTcp && this.options.clientMayCloseTcpFirst !== true) {
        throw new Error('the client ended TCP before the server did (§7.1.1: the client waits for the server to close TCP)');
      }
      this.socket.end();
    }
    await this.expectFin();
  }

  /**
   * The testee failed the connection (§7.1.7): the next event is its close frame with `code`,
   * nothing before it. As Autobahn does, this peer answers the close (unless it sent one
   * already); then the testee must end TCP: a server because it always closes first, a client
   * because it failed the connection and has nothing left to wait for.
   */
  async expectFailure(code: number): Promise<void> {
    await this.expectClose([code]);
    if (!this.closeSent) await this.send(close(code));
    if (this.role === 'client') return this.expectTcpClosed();
    await this.expectFin(FAILED_CLIENT_FIN_TIMEOUT);
    this.socket.end();
  }

  /** The next event is the end of TCP, by a FIN. */
  private async expectFin(timeout = EVENT_TIMEOUT): Promise<void> {
    const event = await this.next('the end of the TCP connection', timeout);
    if (event.kind !== 'eof') throw new Error(`expected the TCP connection to end, got ${describeEvent(event)}`);
    expect(event.abrupt, 'TCP ended abruptly instead of with a FIN').toBe(false);
  }

  /**
   * A normal closing handshake started by this peer (`code` null: a close frame without payload);
   * the testee answers with one of `accepted`, by default the same code or 1000.
   */
  async closeNormally(code: number | null = 1000, reason = '', accepted: ReadonlyArray<number | null> = [1000, code]): Promise<void> {
    await this.send(code === null ? close() : close(code, reason));
    await this.expectClose(accepted);
    await this.expectTcpClosed();
  }

  /** A ping and its pong: proves that the testee processed everything sent before, and is still open. */
  async roundTrip(label = 'sync'): Promise<void> {
    await this.send(ping(label));
    await this.expectPong(label);
  }

  /** Nothing arrives for `ms`: for what must not happen yet (it cannot pass over an event, only miss a late one). */
  async expectQuiet(ms: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    if (this.events.length > 0) throw new Error(`expected nothing yet, got ${describeEvent(await this.events[0]!)}`);
  }

  destroy(): void {
    this.stopped = true;
    this.socket.destroy();
    void this.inflating.finally(() => this.codec?.close());
  }

  // ---------------------------------------------------------------- receiving

  private push(event: PeerEvent | Promise<PeerEvent>): void {
    this.events.push(event);
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }

  private ended(abrupt: boolean): void {
    if (this.stopped) return;
    this.stopped = true;
    this.testeeEndedTcp = true;
    this.push({ kind: 'eof', abrupt });
  }

  private receive(chunk: Buffer): void {
    if (this.stopped) return;
    let frames: WireFrame[];
    try {
      frames = this.reader.push(chunk);
    } catch (err) {
      this.push({ kind: 'violation', rule: (err as Error).message });
      this.stopped = true;
      return;
    }
    for (const frame of frames) this.onFrame(frame);
  }

  private violation(rule: string): void {
    this.push({ kind: 'violation', rule });
  }

  private onFrame(f: WireFrame): void {
    if (this.closeReceived) return this.violation(`a frame (opcode ${f.opcode}) after the close frame (§5.5.1)`);
    if (f.encodingError !== null) this.violation(f.encodingError);
    const mustMask = this.role === 'server';
    if (f.masked !== mustMask) this.violation(mustMask ? 'an unmasked client frame (§5.3)' : 'a masked server frame (§5.1)');
    if (f.maskKey !== null) {
      // A random 32-bit key repeats on the next frame once in 2^32 frames; a fixed or stale key always does.
      if (this.lastMaskKey?.equals(f.maskKey)) this.violation(`the masking key ${f.maskKey.toString('hex')} twice in a row (§5.3: a fresh key for each frame)`);
      this.lastMaskKey = f.maskKey;
    }
    const firstOfMessage = f.opcode === OP.text || f.opcode === OP.binary;
    // RFC 7692 §6: with permessage-deflate, RSV1 marks a compressed message, on its first frame only.
    if (f.rsv !== 0 && !(f.rsv === 4 && firstOfMessage && this.deflate !== null)) {
      this.violation(`reserved bits ${f.rsv.toString(2).padStart(3, '0')} set (§5.2)`);
    }
    if (f.opcode >= 0x8) {
      if (f.payload.length > 125) this.violation(`a control frame with ${f.payload.length} bytes (§5.5)`);
      if (!f.fin) this.violation('a fragmented control frame (§5.5)');
    }
    switch (f.opcode) {
      case OP.ping:
        return this.push({ kind: 'ping', data: f.payload });
      case OP.pong:
        return this.push({ kind: 'pong', data: f.payload });
      case OP.close:
        this.closeReceived = true;
        return this.push(this.closeEvent(f.payload));
      case OP.text:
      case OP.binary:
        if (this.message !== null) this.violation('a new message inside a fragmented one (§5.4)');
        this.message = { type: f.opcode === OP.text ? 'text' : 'binary', pieces: [], frames: 0, compressed: f.rsv === 4 && this.deflate !== null };
        break;
      case OP.continuation:
        if (this.message === null) return this.violation('a continuation frame with no message to continue (§5.4)');
        break;
      default:
        return this.violation(`reserved opcode ${f.opcode} (§5.2)`);
    }
    const message = this.message!;
    message.pieces.push(f.payload);
    message.frames++;
    if (!f.fin) return;
    this.message = null;
    const data = message.pieces.length === 1 ? message.pieces[0]! : Buffer.concat(message.pieces);
    if (!message.compressed) return this.push(messageEvent(message, data));
    const inflated = this.inflating
      .then(() => this.codec!.inflate(data))
      .then(
        (bytes) => messageEvent(message, bytes),
        (err: Error): PeerEvent => ({ kind: 'violation', rule: `a compressed message that does not inflate as agreed (RFC 7692 §7.2.2): ${err.message}` }),
      );
    this.inflating = inflated;
    this.push(inflated);
  }

  private closeEvent(payload: Buffer): PeerEvent {
    if (payload.length === 0) return { kind: 'close', code: null, reason: '' };
    if (payload.length === 1) return { kind: 'violation', rule: 'a close frame with a 1-byte payload (§5.5.1)' };
    const code = payload.readUInt16BE(0);
    const reason = payload.subarray(2);
    if (!isSendableCloseCode(code)) return { kind: 'violation', rule: `close code ${code}, which may not be sent (§7.4)` };
    if (!isValidUtf8(reason)) return { kind: 'violation', rule: 'a close reason that is not UTF-8 (§5.5.1)' };
    return { kind: 'close', code, reason: reason.toString('utf8') };
  }
}

/** A whole message, or the violation it is when a text message is not UTF-8 (§5.6). */
function messageEvent(message: { type: MessageType; frames: number; compressed: boolean }, data: Buffer): PeerEvent {
  if (message.type === 'text' && !isValidUtf8(data)) return { kind: 'violation', rule: 'a text message that is not UTF-8 (§5.6)' };
  return { kind: 'message', type: message.type, data, frames: message.frames, compressed: message.compressed };
}

/** §7.4.1, §7.4.2: the registered codes an endpoint may send, and the 3000–4999 ranges. */
function isSendableCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

/** One line that tells events apart, short even for a 16 MiB message (a digest, not the bytes). */
export function describeEvent(event: PeerEvent): string {
  const bytes = (data: Buffer): string =>
    data.length <= 32 ? `${data.length} bytes [${data.toString('hex')}]` : `${data.length} bytes sha1:${createHash('sha1').update(data).digest('hex').slice(0, 16)}`;
  switch (event.kind) {
    case 'message':
      return `${event.compressed ? 'compressed ' : ''}${event.type} message of ${bytes(event.data)}`;
    case 'ping':
    case 'pong':
      return `${event.kind} with ${bytes(event.data)}`;
    case 'close':
      return `close frame ${event.code ?? '(no code)'}${event.reason === '' ? '' : ` "${event.reason}"`}`;
    case 'violation':
      return `protocol violation by the testee: ${event.rule}`;
    case 'eof':
      return event.abrupt ? 'the TCP connection ended abruptly' : 'the end of the TCP connection (FIN)';
  }
}
