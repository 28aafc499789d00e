/**
 * Connection churn: each cycle connects, completes the opening handshake, sends a close frame
 * and waits for the server's close frame and for TCP to close (the server closes first, §7.1.1).
 * `concurrency` cycles run at once. Against a raw TCP echo, a cycle sends the same request bytes,
 * waits for their echo and closes: the cost of the TCP connection itself.
 */
import type { Socket } from 'node:net';
import type { Endpoint, LoadResult, Timing } from '../jobs.js';
import { connectReader } from './connect.js';
import { FrameCounter } from './counters.js';
import { EXPECTED_ACCEPT, clientCloseFrame, upgradeRequest } from './frames.js';
import { measureWindow } from './window.js';

const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
const EMPTY = Buffer.alloc(0);

export async function handshakes(endpoint: Endpoint, concurrency: number, timing: Timing): Promise<LoadResult> {
  const request = upgradeRequest(endpoint.host, endpoint.port, false);
  const closeFrame = clientCloseFrame();
  const live = new Set<Socket>();
  let running = true;
  let completed = 0;
  let failures = 0;
  let lastError = '';

  const cycle = (): void => {
    if (!running) return;
    const reader = connectReader(endpoint);
    const { socket } = reader;
    live.add(socket);
    let ok = false;
    let headDone = false;
    let pending: Buffer = EMPTY;
    let echoed = 0;
    const frames = new FrameCounter();
    socket.on('connect', () => socket.write(request));
    reader.onData = (chunk) => {
      if (endpoint.kind === 'tcp') {
        echoed += chunk.length;
        if (echoed >= request.length) {
          ok = true;
          socket.end();
        }
        return;
      }
      if (!headDone) {
        pending = Buffer.concat([pending, chunk]); // a copy: the chunk is reused
        const end = pending.indexOf(HEAD_END);
        if (end < 0) return;
        const head = pending.toString('latin1', 0, end);
        if (!head.startsWith('HTTP/1.1 101') || !head.includes(EXPECTED_ACCEPT)) {
          lastError = head.slice(0, head.indexOf('\r\n') >>> 0);
          socket.destroy();
          return;
        }
        headDone = true;
        socket.write(closeFrame);
        chunk = pending.subarray(end + HEAD_END.length);
        pending = EMPTY;
      }
      frames.push(chunk);
      if (frames.closeReceived) ok = true; // TCP closes next: the server ends first, we follow
    };
    socket.on('error', (err: Error) => (lastError = err.message));
    socket.on('close', () => {
      live.delete(socket);
      if (ok) completed++;
      else if (running) failures++;
      setImmediate(cycle);
    });
  };

  for (let i = 0; i < concurrency; i++) cycle();
  try {
    const w = await measureWindow(timing, endpoint.serverPid, { progress: () => ({ count: completed, payloadBytes: 0 }) });
    if (failures > 0 && w.count === 0) throw new Error(`every handshake failed: ${lastError}`);
    return { ...w, failures };
  } finally {
    running = false;
    for (const s of live) s.destroy();
  }
}
