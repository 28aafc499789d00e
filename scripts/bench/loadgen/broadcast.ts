/**
 * Fan-out: `clients` connections to a broadcast server; the first also publishes. Every message
 * it sends is delivered by the server to every client (itself included). The publisher keeps
 * `window` broadcasts in flight, counted from deliveries, and the figure is deliveries per second.
 */
import { Opcode } from '../../../src/protocol/frame.js';
import type { Endpoint, LoadResult, Timing } from '../jobs.js';
import { openMany } from './connect.js';
import { FixedSizeCounter, FrameCounter, type MessageCounter } from './counters.js';
import { clientDataFrame } from './frames.js';
import { chatMessage } from './payloads.js';
import { measureWindow, until } from './window.js';

export async function broadcast(endpoint: Endpoint, clients: number, size: number, window: number, timing: Timing): Promise<LoadResult> {
  const payload = chatMessage(size);
  const frame = clientDataFrame(payload, Opcode.Text);
  const conns = await openMany(endpoint, clients, 100);
  try {
    let delivered = 0;
    let sent = 0;
    const publisher = conns[0]!.socket;
    const pump = (): void => {
      // Broadcasts count as done when as many deliveries as clients have arrived.
      while (sent - Math.floor(delivered / clients) < window) {
        publisher.write(frame);
        sent++;
      }
    };
    let started = false;
    const counters: MessageCounter[] = [];
    let captured: FrameCounter | null = null;
    for (const [i, conn] of conns.entries()) {
      const counter = endpoint.kind === 'ws' ? new FrameCounter() : new FixedSizeCounter(frame.length);
      if (i === 0 && counter instanceof FrameCounter) {
        counter.capture = [];
        captured = counter;
      }
      counters.push(counter);
      conn.onData = (chunk) => {
        const n = counter.push(chunk);
        if (n === 0) return;
        delivered += n;
        if (started) pump();
      };
      if (conn.leftover.length > 0) conn.onData(conn.leftover);
      conn.socket.resume();
    }
    // One broadcast first, to check that every client receives exactly the message sent.
    publisher.write(frame);
    sent = 1;
    await until(() => delivered >= clients, 10_000, 'the first broadcast to reach every client');
    if (counters.some((c) => c.messages !== 1)) throw new Error('the first broadcast did not reach each client exactly once');
    if (captured !== null) {
      const echoed = Buffer.concat(captured.capture!);
      captured.capture = null;
      if (!echoed.equals(payload)) throw new Error('the broadcast message differs from the one published');
    }
    started = true;
    pump();
    return await measureWindow(timing, endpoint.serverPid, { progress: () => ({ count: delivered, payloadBytes: delivered * size }) });
  } finally {
    for (const c of conns) c.socket.destroy();
  }
}
