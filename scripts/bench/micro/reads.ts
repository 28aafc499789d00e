/**
 * What reading and echoing small messages costs, in one process with no sockets: a server
 * connection over a stream is handed masked 32 B frames in `data` events, and its echo goes to
 * the stream's `write`. Ours is a `Conn` echoing with `forEachMessage`; `ws` is its `WebSocket`
 * on the same stream (what its server makes of an upgraded socket) echoing from its `message`
 * event; the raw column writes each chunk back, Node's stream machinery alone. With one
 * connection, with 256 and with 16,384 taking turns (whose state has left the caches by the time
 * each gets its next message: the second shows what that costs), and with 64 messages in each
 * read, as a pipelining peer's reads hold. Then the heap each message allocates, garbage included
 * (`allocation.ts`), with one message a read and with 64.
 *
 * This is the JavaScript a server runs per message when each connection has one message in flight
 * (the `connections` group) or many (`pipelined`), without the system calls around it.
 */
import { Duplex } from 'node:stream';
import { Conn } from '../../../src/connection/conn.js';
import type { Message } from '../../../src/connection/message.js';
import { clientDataFrame } from '../loadgen/frames.js';
import { binaryPayload } from '../loadgen/payloads.js';
import type { Row, Table } from '../table.js';
import { bytesAllocatedBy } from './allocation.js';
import { type PassResult, type Workload, measureRounds } from './timing.js';
import { attachWsServerSocket } from './ws-internals.js';

const SIZE = 32;
/** Messages per pass: every connection gets the same number. */
const PER_PASS = 256;
/** What the server writes back per message: the frame unmasked (2 bytes of header), or the raw echo's copy of the masked one. */
const ECHOED = { raw: 2 + 4 + SIZE, ws: 2 + SIZE, ours: 2 + SIZE } as const;
const IMPLS = ['raw', 'ws', 'ours'] as const;

/** Bytes written by every stream of a workload (one counter, not a sum over thousands of streams). */
interface Tally {
  written: number;
}

/** A transport whose reads come from `push` and whose writes are counted, taken at once and dropped. */
class LoopStream extends Duplex {
  private readonly tally: Tally;
  constructor(tally: Tally) {
    super();
    this.tally = tally;
  }
  override _read(): void {}
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.tally.written += chunk.length;
    callback();
  }
  override _writev(chunks: Array<{ chunk: Buffer }>, callback: () => void): void {
    for (const { chunk } of chunks) this.tally.written += chunk.length;
    callback();
  }
}

const echo = (m: Message, conn: Conn): Promise<void> => conn.writeMessage(m.type, m.data);

const ATTACH: Record<keyof typeof ECHOED, (stream: LoopStream) => void> = {
  raw: (stream) => stream.on('data', (chunk: Buffer) => stream.write(chunk)),
  ws: (stream) => {
    const ws = attachWsServerSocket(stream);
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  },
  ours: (stream) => void new Conn({ role: 'server', socket: stream }).forEachMessage(echo),
};

/** How the messages arrive: over how many connections, and how many in each read. */
const SHAPES = [
  { connections: 1, perRead: 1, label: 'one connection' },
  { connections: 256, perRead: 1, label: '256 connections in turn' },
  { connections: 16_384, perRead: 1, label: '16,384 connections in turn' },
  { connections: 1, perRead: 64, label: 'one connection, 64 messages a read' },
] as const;

function workload(connections: number, perRead: number, impl: keyof typeof ECHOED): Workload {
  // One read chunk, fed again and again: unmasking in place twice restores it, and a binary
  // payload has no validity to lose in between.
  const frame = clientDataFrame(binaryPayload(SIZE));
  const chunk = Buffer.concat(Array.from({ length: perRead }, () => frame));
  const streams: LoopStream[] = [];
  const tally: Tally = { written: 0 };
  return {
    prepare: () => {
      for (const s of streams.splice(0)) s.destroy();
      for (let i = 0; i < connections; i++) {
        const stream = new LoopStream(tally);
        ATTACH[impl](stream);
        // A stream starts reading on the next tick; read(0) starts it now, so that every push is
        // handed to the `data` listener at once, as a socket's reads are.
        stream.read(0);
        streams.push(stream);
      }
      let written = tally.written;
      // Passes go on from the connection where the last one stopped: each gets its turn.
      let next = 0;
      return (): PassResult => {
        for (let i = 0; i < PER_PASS / perRead; i++) {
          streams[next]!.push(chunk);
          next = next + 1 === connections ? 0 : next + 1;
        }
        // Every message answered within the pass: what is timed is the whole echo.
        if (tally.written - written !== PER_PASS * ECHOED[impl]) throw new Error(`${impl}: a pass of ${PER_PASS} messages wrote ${tally.written - written} bytes`);
        written = tally.written;
        return { units: PER_PASS, bytes: PER_PASS * SIZE };
      };
    },
  };
}

export async function readsTable(rounds: number, roundMs: number): Promise<Table> {
  const rows: Row[] = [];
  for (const { connections, perRead, label } of SHAPES) {
    const results = await measureRounds(
      IMPLS.map((impl) => ({ key: impl, workload: workload(connections, perRead, impl) })),
      rounds,
      roundMs,
    );
    const nanos = (key: string): number[] => results.get(key)!.map((r) => (r.seconds * 1e9) / r.units);
    rows.push({ label: `${label}: ns per message (lower is better)`, values: { raw: nanos('raw'), ws: nanos('ws'), ours: nanos('ours') } });
  }
  for (const { perRead, label } of ALLOCATION_SHAPES) {
    const values: Row['values'] = {};
    for (const impl of IMPLS) values[impl] = await allocatedPerMessage(perRead, impl, rounds);
    rows.push({ label: `${label}: bytes allocated a message (lower is better)`, values });
  }
  return {
    title: '32 B messages read and echoed (in-process, a stream instead of a socket)',
    rawLabel: 'stream echo',
    rows,
    notes: ['rfc6455: a server `Conn` echoing with `forEachMessage`; ws: its `WebSocket` on the same stream, echoing from `message`; stream echo: `stream.write(chunk)` in the `data` listener, no WebSocket.'],
  };
}

/** The shapes whose allocation is counted: one message a read (per-read costs included) and 64. */
const ALLOCATION_SHAPES = [
  { perRead: 1, label: 'one connection' },
  { perRead: 64, label: 'one connection, 64 messages a read' },
] as const;

/** Messages per allocation count: a few megabytes of allocation, for a sampled total within a few percent. */
const ALLOCATION_MESSAGES = 32_768;

/** Heap allocated per message echoed, garbage included, once per round after a warm-up pass. */
async function allocatedPerMessage(perRead: number, impl: keyof typeof ECHOED, rounds: number): Promise<number[]> {
  const pass = workload(1, perRead, impl).prepare();
  for (let i = 0; i < 64; i++) pass();
  const out: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const bytes = await bytesAllocatedBy(() => {
      for (let done = 0; done < ALLOCATION_MESSAGES; done += PER_PASS) pass();
    });
    out.push(bytes / ALLOCATION_MESSAGES);
  }
  return out;
}
