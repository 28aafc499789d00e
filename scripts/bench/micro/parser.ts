/**
 * Parser throughput, in one process with no sockets: a stream of masked binary frames, cut into
 * 16 KiB chunks as a socket would deliver it, fed to `ws`'s Receiver and to ours.
 *
 * Both unmask in place, so the same chunks are fed pass after pass (XOR twice restores the bytes;
 * binary payloads have no validity to lose). Ours is measured at three depths:
 * - `FrameParser`: frame headers and unmasked payload views, nothing else;
 * - `ConnectionCore.receive` (server role): every protocol check, what a server runs per chunk;
 * - the same plus whole messages assembled as `Conn.readMessage` hands them out, which is what
 *   ws's Receiver delivers (it concatenates frames that span chunks).
 */
import { ConnectionCore, type ConnectionEvents } from '../../../src/protocol/core.js';
import { FrameParser } from '../../../src/protocol/parser.js';
import { QueuedMessage } from '../../../src/connection/inbox.js';
import { clientDataFrame } from '../loadgen/frames.js';
import { binaryPayload } from '../loadgen/payloads.js';
import { sizeLabel } from '../format.js';
import type { Row, Table } from '../table.js';
import { WsReceiverClass } from './ws-internals.js';
import { type Workload, measureRounds } from './timing.js';

const CHUNK = 16 * 1024;
const STREAM_BYTES = 4 * 1024 * 1024;
const MAX_MESSAGE = 64 * 1024 * 1024;

/** Masked frames of `size` bytes, concatenated to about 4 MiB and cut into 16 KiB chunks. */
export function frameStream(size: number): { chunks: Buffer[]; frames: number; bytes: number } {
  const frame = clientDataFrame(binaryPayload(size));
  const frames = Math.max(4, Math.ceil(STREAM_BYTES / frame.length));
  const stream = Buffer.allocUnsafe(frames * frame.length);
  for (let i = 0; i < frames; i++) frame.copy(stream, i * frame.length);
  const chunks: Buffer[] = [];
  for (let at = 0; at < stream.length; at += CHUNK) chunks.push(stream.subarray(at, Math.min(at + CHUNK, stream.length)));
  return { chunks, frames, bytes: stream.length };
}

/** A parser under test: something to feed, and how many messages it has delivered. */
interface Parser {
  feed(chunk: Buffer): void;
  delivered(): number;
}

const fail = (err: unknown): never => {
  throw err;
};

function wsReceiver(): Parser {
  let n = 0;
  const receiver = new WsReceiverClass({ isServer: true, maxPayload: MAX_MESSAGE, binaryType: 'nodebuffer' });
  receiver.on('message', () => n++);
  receiver.on('error', fail);
  return { feed: (chunk) => void receiver.write(chunk), delivered: () => n };
}

function frameParser(): Parser {
  let n = 0;
  const parser = new FrameParser({ onFrameHeader() {}, onFramePayload() {}, onFrameEnd: () => n++ });
  return { feed: (chunk) => parser.push(chunk), delivered: () => n };
}

function connectionEvents(overrides: Partial<ConnectionEvents>): ConnectionEvents {
  const nothing = (): void => {};
  return { onMessageStart: nothing, onMessageData: nothing, onMessageEnd: nothing, onPing: nothing, onPong: nothing, onClose: nothing, onError: fail, ...overrides };
}

function connection(): Parser {
  let n = 0;
  const conn = new ConnectionCore({ role: 'server', maxMessageSize: MAX_MESSAGE }, connectionEvents({ onMessageEnd: () => n++ }));
  return { feed: (chunk) => conn.receive(chunk), delivered: () => n };
}

function connectionWholeMessages(size: number): Parser {
  let n = 0;
  let message: QueuedMessage | null = null;
  const conn = new ConnectionCore(
    { role: 'server', maxMessageSize: MAX_MESSAGE },
    connectionEvents({
      onMessageStart: (opcode) => (message = new QueuedMessage(opcode, n)),
      onMessageData: (data) => message!.push(data),
      onMessageEnd: () => {
        if (message!.takeAll().length !== size) throw new Error('a message was assembled with the wrong length');
        n++;
      },
    }),
  );
  return { feed: (chunk) => conn.receive(chunk), delivered: () => n };
}

const OURS: ReadonlyArray<{ label: string; make: (size: number) => Parser; headline: boolean }> = [
  { label: 'FrameParser (payload views)', make: frameParser, headline: false },
  { label: 'ConnectionCore.receive, server', make: connection, headline: true },
  { label: 'ConnectionCore.receive + whole messages', make: connectionWholeMessages, headline: false },
];

function workload(make: (size: number) => Parser, size: number): Workload {
  const { chunks, frames, bytes } = frameStream(size);
  return {
    prepare: () => {
      const parser = make(size);
      return () => {
        for (const chunk of chunks) parser.feed(chunk);
        if (parser.delivered() % frames !== 0) throw new Error(`a pass delivered ${parser.delivered()} messages, not a multiple of ${frames}`);
        return { units: frames, bytes };
      };
    },
  };
}

export const PARSER_SIZES = [16, 1024, 64 * 1024] as const;

/** Targets from the issue: at 1 KiB ≥ 3× ws, at 64 KiB ≥ 4× ws (for what a server runs). */
const TARGETS: Record<number, number> = { 1024: 3, [64 * 1024]: 4 };

export async function parserTable(rounds: number, roundMs: number): Promise<Table> {
  const rows: Row[] = [];
  for (const size of PARSER_SIZES) {
    // Frames per second at 16 B (per-frame cost dominates), payload-inclusive GB/s above.
    const metric = size < 1024 ? 'frames/s' : 'GB/s';
    const value = (r: { units: number; bytes: number; seconds: number }): number =>
      size < 1024 ? r.units / r.seconds : r.bytes / r.seconds / 1e9;
    const subjects = [{ key: 'ws', make: wsReceiver }, ...OURS.map((o, i) => ({ key: `ours${i}`, make: o.make }))];
    const results = await measureRounds(
      subjects.map((s) => ({ key: s.key, workload: workload(s.make, size) })),
      rounds,
      roundMs,
    );
    const ws = results.get('ws')!.map(value);
    OURS.forEach((o, i) => {
      const target = o.headline ? TARGETS[size] : undefined;
      rows.push({
        label: `${sizeLabel(size)} frames, ${metric}: ${o.label}`,
        values: { ws, ours: results.get(`ours${i}`)!.map(value) },
        ...(target !== undefined ? { target: { versus: 'ws', ratio: target, better: 'higher' } } : {}),
      });
    });
  }
  return {
    title: 'Parser throughput (in-process, masked binary frames in 16 KiB chunks)',
    rows,
    notes: [
      '`ws` column: `ws` Receiver fed with `receiver.write(chunk)`, as its socket handler does. GB/s counts wire bytes (headers included).',
    ],
  };
}
