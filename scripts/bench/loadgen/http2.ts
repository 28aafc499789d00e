/**
 * Load over HTTP/2 (RFC 8441): WebSockets as streams of one h2c session, driven with Node's own
 * `http2` client (nghttp2 does the HTTP/2 framing; the WebSocket frames inside are pre-encoded and
 * counted by header, as on TCP). Three jobs: handshake churn on an existing session, pipelined
 * echo on one stream, and idle streams held open for the memory figures.
 */
import { type ClientHttp2Session, type ClientHttp2Stream, type OutgoingHttpHeaders, connect } from 'node:http2';
import type { Endpoint, LoadResult, Timing } from '../jobs.js';
import { FrameCounter } from './counters.js';
import { batchOf, clientCloseFrame, clientDataFrame } from './frames.js';
import { binaryPayload } from './payloads.js';
import { measureWindow, until } from './window.js';

const BATCH_BYTES = 16 * 1024;
const WINDOW_BYTES = 256 * 1024;

function connectHeaders(endpoint: Endpoint): OutgoingHttpHeaders {
  return {
    ':method': 'CONNECT',
    ':protocol': 'websocket',
    ':scheme': 'http',
    ':path': '/',
    ':authority': `${endpoint.host}:${endpoint.port}`,
    'sec-websocket-version': '13',
  };
}

/** An h2c session whose server has enabled extended CONNECT (RFC 8441 §3). */
export function openSession(endpoint: Endpoint): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    // Windows as a browser sets them (Chromium: 6 MiB per stream, 15 MiB per connection).
    const session = connect(`http://${endpoint.host}:${endpoint.port}`, { settings: { initialWindowSize: 6 * 1024 * 1024 } });
    session.once('connect', () => session.setLocalWindowSize(15 * 1024 * 1024));
    session.once('error', reject);
    session.once('remoteSettings', (settings) => {
      session.off('error', reject);
      session.on('error', () => {});
      if (settings.enableConnectProtocol === true) resolve(session);
      else reject(new Error('the server does not enable extended CONNECT'));
    });
  });
}

/** A WebSocket stream: the CONNECT request answered with 200. */
function openStream(session: ClientHttp2Session, endpoint: Endpoint): Promise<ClientHttp2Stream> {
  return new Promise((resolve, reject) => {
    const stream = session.request(connectHeaders(endpoint), { endStream: false });
    stream.on('error', () => {});
    stream.once('response', (headers) => (Number(headers[':status']) === 200 ? resolve(stream) : reject(new Error(`status ${headers[':status']}`))));
    stream.once('close', () => reject(new Error(`the stream closed before its response (rst ${stream.rstCode})`)));
  });
}

/** Open, closing handshake, stream closed; `concurrency` cycles at once on one session. */
export async function h2Handshakes(endpoint: Endpoint, concurrency: number, timing: Timing): Promise<LoadResult> {
  const session = await openSession(endpoint);
  const closeFrame = clientCloseFrame();
  const headers = connectHeaders(endpoint);
  let running = true;
  let completed = 0;
  let failures = 0;
  const cycle = (): void => {
    if (!running) return;
    const stream = session.request(headers, { endStream: false });
    const frames = new FrameCounter();
    let ok = false;
    stream.on('error', () => {});
    stream.once('response', (h) => {
      if (Number(h[':status']) === 200) stream.write(closeFrame);
      else stream.close();
    });
    stream.on('data', (chunk: Buffer) => {
      frames.push(chunk);
      if (frames.closeReceived && !ok) {
        ok = true;
        stream.end(); // the server ends first (§7.1.1); we follow
      }
    });
    stream.once('close', () => {
      if (ok) completed++;
      else if (running) failures++;
      setImmediate(cycle);
    });
  };
  for (let i = 0; i < concurrency; i++) cycle();
  try {
    const w = await measureWindow(timing, endpoint.serverPid, { progress: () => ({ count: completed, payloadBytes: 0 }) });
    if (failures > 0 && w.count === 0) throw new Error('every handshake failed');
    return { ...w, failures };
  } finally {
    running = false;
    session.destroy();
  }
}

/** One stream, a window of binary messages in flight, as the TCP `pipelined` job. */
export async function h2Pipelined(endpoint: Endpoint, size: number, timing: Timing): Promise<LoadResult> {
  const session = await openSession(endpoint);
  try {
    const stream = await openStream(session, endpoint);
    const frame = clientDataFrame(binaryPayload(size));
    const counter = new FrameCounter();
    const { batch, frames: perBatch } = batchOf(frame, BATCH_BYTES);
    const maxBatches = Math.max(2, Math.floor(Math.max(WINDOW_BYTES, 4 * frame.length) / batch.length));
    let sentBatches = 0;
    const pump = (): void => {
      while (sentBatches - Math.floor(counter.messages / perBatch) < maxBatches) {
        stream.write(batch);
        sentBatches++;
      }
    };
    stream.on('data', (chunk: Buffer) => {
      if (counter.push(chunk) > 0) pump();
    });
    pump();
    await until(() => counter.messages > 0, 10_000, 'the first echo');
    return await measureWindow(timing, endpoint.serverPid, { progress: () => ({ count: counter.messages, payloadBytes: counter.messages * size }) });
  } finally {
    session.destroy();
  }
}

/** Opens `n` idle WebSocket streams on one session; the caller keeps the session to close later. */
export async function h2OpenIdle(endpoint: Endpoint, n: number): Promise<{ session: ClientHttp2Session; opened: number }> {
  const session = await openSession(endpoint);
  let opened = 0;
  const batch = 200;
  for (let i = 0; i < n; i += batch) {
    const streams = await Promise.all(Array.from({ length: Math.min(batch, n - i) }, () => openStream(session, endpoint).then(() => 1, () => 0)));
    opened += streams.reduce<number>((a, b) => a + b, 0);
  }
  return { session, opened };
}
