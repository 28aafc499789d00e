/**
 * Load against echo servers: ping-pong (one message in flight per connection, for latency) and
 * pipelined (a window of messages in flight on one connection, for throughput).
 */
import { inflateRawSync, constants as zlib } from 'node:zlib';
import { Opcode } from '../../../src/protocol/frame.js';
import type { Endpoint, LoadResult, PayloadKind, Timing } from '../jobs.js';
import { latencyPercentiles } from '../stats.js';
import { type Opened, open, openMany } from './connect.js';
import { FixedSizeCounter, FrameCounter, type MessageCounter } from './counters.js';
import { DEFLATE_TAIL, batchOf, clientCompressedFrame, clientDataFrame } from './frames.js';
import { binaryPayload, jsonLikePayload } from './payloads.js';
import { measureWindow, until } from './window.js';

/** Pipelined writes are batched into buffers of about this size: one write, many frames. */
const BATCH_BYTES = 64 * 1024;
/** Bytes in flight on a pipelined connection (at least four messages); 1 MiB left large messages latency-bound. */
const WINDOW_BYTES = 4 * 1024 * 1024;

interface Message {
  payload: Buffer;
  /** The bytes sent for one message: a masked frame, or the same bytes to a raw TCP echo. */
  frame: Buffer;
}

function messageFor(size: number, kind: PayloadKind, compress: boolean): Message {
  const payload = kind === 'json' ? jsonLikePayload(size) : binaryPayload(size);
  const opcode = kind === 'json' ? Opcode.Text : Opcode.Binary;
  return { payload, frame: compress ? clientCompressedFrame(payload) : clientDataFrame(payload, opcode) };
}

function counterFor(endpoint: Endpoint, message: Message): MessageCounter {
  return endpoint.kind === 'ws' ? new FrameCounter() : new FixedSizeCounter(message.frame.length);
}

/**
 * Sends one message and checks that exactly it comes back (inflated, if the server compressed
 * it), so that no figure is ever measured against a server that answers something else.
 */
export async function verifyEcho(endpoint: Endpoint, opened: Opened, message: Message): Promise<void> {
  const { socket } = opened;
  const expected = endpoint.kind === 'ws' ? message.payload : message.frame;
  const counter = new FrameCounter();
  counter.capture = [];
  let raw: Buffer = Buffer.alloc(0);
  opened.onData = (chunk) => {
    if (endpoint.kind === 'ws') counter.push(chunk);
    else raw = Buffer.concat([raw, chunk]);
  };
  if (opened.leftover.length > 0) opened.onData(opened.leftover);
  socket.resume();
  socket.write(message.frame);
  try {
    await until(() => (endpoint.kind === 'ws' ? counter.messages > 0 : raw.length >= expected.length), 10_000, 'the first echo');
  } finally {
    socket.pause();
    opened.onData = () => {};
  }
  if (counter.maskedFrames > 0) throw new Error('the server sent a masked frame');
  let echoed = endpoint.kind === 'ws' ? Buffer.concat(counter.capture) : raw;
  if (counter.compressedFrames > 0) echoed = inflateRawSync(Buffer.concat([echoed, DEFLATE_TAIL]), { finishFlush: zlib.Z_SYNC_FLUSH });
  if (!echoed.equals(expected)) throw new Error(`the echo differs from the message sent (${echoed.length} vs ${expected.length} bytes)`);
}

/** Grows as needed: latency samples of one window. */
class Samples {
  private data = new Float64Array(1 << 16);
  length = 0;

  add(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }

  percentiles(): { p50: number; p99: number } {
    return latencyPercentiles(this.data.subarray(0, this.length));
  }
}

/** `connections` connections, each with one message in flight: round trips per second and their latency. */
export async function pingPong(endpoint: Endpoint, size: number, connections: number, timing: Timing): Promise<LoadResult> {
  const message = messageFor(size, 'binary', false);
  const conns = await openMany(endpoint, connections, 64);
  try {
    await Promise.all(conns.map((c) => verifyEcho(endpoint, c, message)));
    const samples = new Samples();
    let measuring = false;
    let completed = 0;
    for (const conn of conns) {
      const { socket } = conn;
      const counter = counterFor(endpoint, message);
      let sentAt = 0;
      conn.onData = (chunk) => {
        if (counter.push(chunk) === 0) return;
        const now = performance.now();
        if (measuring) samples.add((now - sentAt) * 1000);
        completed++;
        sentAt = now;
        socket.write(message.frame);
      };
      socket.resume();
      sentAt = performance.now();
      socket.write(message.frame);
    }
    const w = await measureWindow(timing, endpoint.serverPid, {
      progress: () => ({ count: completed, payloadBytes: completed * size }),
      onOpen: () => (measuring = true),
      onClose: () => (measuring = false),
    });
    return { ...w, latency: samples.percentiles() };
  } finally {
    for (const c of conns) c.socket.destroy();
  }
}

/**
 * One connection with a window of messages in flight, sent in batches of pre-encoded frames:
 * the rate at which the server can take messages in and send them back.
 */
export async function pipelined(endpoint: Endpoint, size: number, kind: PayloadKind, timing: Timing): Promise<LoadResult> {
  const opened = await open(endpoint);
  const { socket } = opened;
  try {
    if (endpoint.offerDeflate === true && !opened.deflate) {
      return { count: 0, seconds: 0, payloadBytes: 0, loadCpu: 0, serverCpu: 0, negotiated: false };
    }
    const message = messageFor(size, kind, opened.deflate);
    await verifyEcho(endpoint, opened, message);
    const counter = counterFor(endpoint, message);
    const { batch, frames: perBatch } = batchOf(message.frame, BATCH_BYTES);
    const maxBatches = Math.max(2, Math.floor(Math.max(WINDOW_BYTES, 4 * message.frame.length) / batch.length));
    let sentBatches = 0;
    const pump = (): void => {
      while (sentBatches - Math.floor(counter.messages / perBatch) < maxBatches) {
        socket.write(batch);
        sentBatches++;
      }
    };
    opened.onData = (chunk) => {
      if (counter.push(chunk) > 0) pump();
    };
    socket.resume();
    pump();
    const w = await measureWindow(timing, endpoint.serverPid, {
      progress: () => ({ count: counter.messages, payloadBytes: counter.messages * size }),
    });
    return { ...w, ...(endpoint.offerDeflate === true ? { negotiated: true } : {}) };
  } finally {
    socket.destroy();
  }
}
