/**
 * A chaos client: many connections to one WebSocket server, each misbehaving in one of the ways
 * real peers do: TCP dropped mid-handshake or mid-message, garbage instead of a request or a
 * frame, a peer that stops reading while the server writes, close frames with odd but valid codes
 * and with codes no one may send. It checks that the server answers each as RFC 6455 says
 * (1002 for garbage and invalid codes, §7.4.1 and §5.2; the code echoed for valid ones, §5.5.1;
 * an HTTP 4xx for a broken request head, §4.2.1) and counts what happened.
 */
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { encodeFrame } from '../../src/protocol/frame.js';
import { Opcode } from '../../src/protocol/frame.js';
import { FrameParser } from '../../src/protocol/parser.js';
import { encodeCloseFrameBody, parseTarget } from './wire.js';

/** The ways a chaos connection misbehaves, one per connection, in turn. */
export const CHAOS_MODES = [
  'drop-mid-message',
  'drop-mid-handshake',
  'garbage-frame',
  'garbage-request',
  'stop-reading',
  'odd-close',
  'invalid-close',
] as const;
export type ChaosMode = (typeof CHAOS_MODES)[number];

/** Modes that end with the client dropping TCP without a closing handshake. */
export const ABRUPT_MODES: ReadonlySet<ChaosMode> = new Set(['drop-mid-message', 'drop-mid-handshake', 'stop-reading']);

const ODD_VALID_CODES = [1001, 1000, 3000, 4000, 4999, 1012];
/** Never valid on the wire (§7.4.1, §7.4.2): the server must fail the connection with 1002. */
const INVALID_CODES = [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000];

export interface ChaosOptions {
  /** The server's `ws://` URL. */
  url: string;
  /** Default 200. */
  connections?: number;
  /** Connections open at once. Default 50. */
  concurrency?: number;
  /** The text messages this server expects, e.g. a chat join first. Default: none. */
  greeting?: readonly string[];
  /** A text message the server accepts, of about `size` bytes. Default: `size` × "x". */
  message?: (size: number) => string;
  /** How long one connection may take before it counts as a failure (ms). Default 15 s. */
  timeout?: number;
}

export interface ChaosReport {
  connections: number;
  /** Connections dropped by the client without a closing handshake. */
  abruptDrops: number;
  /** Per mode: how many ran, and how many the server answered as the RFC says. */
  modes: Record<ChaosMode, { ran: number; answered: number }>;
  /** What went wrong, one line per connection the server did not answer as expected. */
  failures: string[];
}

/** Opens `connections` misbehaving connections to `options.url`, and reports. */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const total = options.connections ?? 200;
  const modes = Object.fromEntries(CHAOS_MODES.map((m) => [m, { ran: 0, answered: 0 }])) as ChaosReport['modes'];
  const failures: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      const index = next++;
      const mode = CHAOS_MODES[index % CHAOS_MODES.length]!;
      modes[mode].ran++;
      const problem = await oneConnection(options, mode, index).catch((err: unknown) => String(err));
      if (problem === null) modes[mode].answered++;
      else failures.push(`#${index} ${mode}: ${problem}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 50, total) }, worker));
  const abruptDrops = CHAOS_MODES.filter((m) => ABRUPT_MODES.has(m)).reduce((n, m) => n + modes[m].ran, 0);
  return { connections: total, abruptDrops, modes, failures };
}

/** One connection in `mode`; resolves with null when the server behaved, or what it did instead. */
function oneConnection(options: ChaosOptions, mode: ChaosMode, index: number): Promise<string | null> {
  const target = parseTarget(options.url);
  const message = options.message ?? ((size: number) => 'x'.repeat(size));
  return new Promise((resolve) => {
    const socket = connect({ host: target.host, port: target.port });
    const peer = new ServerFrames();
    let head = Buffer.alloc(0);
    let upgraded = false;
    let settled = false;
    const finish = (problem: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(problem);
    };
    const timer = setTimeout(() => finish(`no answer within the timeout (${peer.describe()})`), options.timeout ?? 15_000);
    socket.on('error', () => {}); // resets are part of the game; the outcome is judged on close
    socket.on('close', () => finish(judge(mode, upgraded, head, peer, index)));
    socket.on('connect', () => {
      if (mode === 'garbage-request') return void socket.write(Buffer.concat([randomBytes(64), Buffer.from('\r\n\r\n')]));
      const request = upgradeRequest(target.host, target.port, target.path);
      if (mode === 'drop-mid-handshake') return void socket.write(request.subarray(0, request.length >> 1), () => socket.destroy());
      socket.write(request);
    });
    socket.on('data', (chunk: Buffer) => {
      if (upgraded) return peer.push(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      if (!head.subarray(0, 12).toString('latin1').startsWith('HTTP/1.1 101')) return; // judged on close
      upgraded = true;
      const rest = head.subarray(end + 4);
      head = head.subarray(0, end);
      if (rest.length > 0) peer.push(rest);
      for (const text of options.greeting ?? []) socket.write(clientFrame(Opcode.Text, Buffer.from(text)));
      misbehave(socket, mode, index, message);
    });
  });
}

/** What the client does once upgraded. */
function misbehave(socket: Socket, mode: ChaosMode, index: number, message: (size: number) => string): void {
  switch (mode) {
    case 'drop-mid-message': {
      // A 4 KiB frame cut after its first 100 bytes.
      const frame = clientFrame(Opcode.Binary, randomBytes(4096));
      socket.write(frame.subarray(0, 100), () => socket.destroy());
      return;
    }
    case 'garbage-frame': {
      // RSV2 and RSV3 set without an extension that defines them (§5.2), then noise.
      const frame = clientFrame(Opcode.Binary, randomBytes(16));
      frame[0] = frame[0]! | 0x30;
      socket.write(Buffer.concat([frame, randomBytes(32)]));
      return;
    }
    case 'stop-reading': {
      socket.pause();
      const text = Buffer.from(message(1500));
      for (let i = 0; i < 63; i++) socket.write(clientFrame(Opcode.Text, text));
      socket.write(clientFrame(Opcode.Text, text), () => socket.destroy());
      return;
    }
    case 'odd-close':
      socket.write(clientFrame(Opcode.Close, encodeCloseFrameBody(ODD_VALID_CODES[index % ODD_VALID_CODES.length]!, 'chaos')));
      return;
    case 'invalid-close': {
      const body = index % 4 === 0 ? Buffer.from([0x03]) : encodeCloseFrameBody(INVALID_CODES[index % INVALID_CODES.length]!, '');
      socket.write(clientFrame(Opcode.Close, body)); // a 1-byte body is invalid too (§5.5.1)
      return;
    }
    default:
      return;
  }
}

/** Whether the server answered `mode` as the RFC says, judged once TCP has closed. */
function judge(mode: ChaosMode, upgraded: boolean, head: Buffer, peer: ServerFrames, index: number): string | null {
  switch (mode) {
    case 'drop-mid-message':
    case 'drop-mid-handshake':
    case 'stop-reading':
      return null; // the client left; the server must only survive it
    case 'garbage-request': {
      const status = /^HTTP\/1\.1 (\d{3})/.exec(head.toString('latin1'))?.[1];
      return status !== undefined && status.startsWith('4') ? null : `expected an HTTP 4xx, got ${JSON.stringify(head.toString('latin1').slice(0, 40))}`;
    }
    case 'garbage-frame':
    case 'invalid-close':
      if (!upgraded) return 'the handshake failed';
      return peer.closeCode === 1002 ? null : `expected close 1002, got ${peer.describe()}`;
    case 'odd-close': {
      if (!upgraded) return 'the handshake failed';
      const sent = ODD_VALID_CODES[index % ODD_VALID_CODES.length]!;
      return peer.closeCode === sent ? null : `expected the close code ${sent} echoed, got ${peer.describe()}`;
    }
  }
}

function upgradeRequest(host: string, port: number, path: string): Buffer {
  const lines = [`GET ${path} HTTP/1.1`, `Host: ${host}:${port}`, 'Upgrade: websocket', 'Connection: Upgrade'];
  lines.push(`Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`, 'Sec-WebSocket-Version: 13', '', '');
  return Buffer.from(lines.join('\r\n'));
}

function clientFrame(opcode: number, payload: Buffer): Buffer {
  return encodeFrame({ opcode, payload, maskKey: randomBytes(4).readUInt32BE(0) });
}

/** The frames the server sends, decoded just enough to find its close code. */
class ServerFrames {
  closeCode: number | null = null;
  private frames = 0;
  private opcode = 0;
  private payload: Buffer[] = [];
  private readonly parser = new FrameParser({
    onFrameHeader: (header) => {
      this.opcode = header.opcode;
      this.payload = [];
    },
    onFramePayload: (data) => {
      if (this.opcode === Opcode.Close) this.payload.push(Buffer.from(data));
    },
    onFrameEnd: () => {
      this.frames++;
      if (this.opcode !== Opcode.Close || this.closeCode !== null) return;
      const body = Buffer.concat(this.payload);
      this.closeCode = body.length >= 2 ? body.readUInt16BE(0) : 1005;
    },
  });

  push(chunk: Buffer): void {
    try {
      this.parser.push(chunk);
    } catch {
      this.parser.halt();
    }
  }

  describe(): string {
    return `${this.frames} frames, close code ${this.closeCode ?? 'none'}`;
  }
}
