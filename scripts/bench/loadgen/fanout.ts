/**
 * Fan-out load for the Hub and socket.io servers: `clients` subscribers spread over the servers,
 * one publisher on the first. Two phases: throughput (the publisher keeps `window` messages in
 * flight, counted from deliveries: deliveries/s) and latency (a fixed rate well below capacity:
 * p50/p99 from publish to delivery, all in this one process, so one clock). Most subscribers are
 * raw sockets that only count frames, so that the load generator is not what is measured; one in
 * `sampleEvery` is a full client (rfc6455's `Dialer`, or socket.io-client) that reads timestamps.
 *
 *   node scripts/bench/loadgen/fanout.js --kind hub|socketio --urls ws://a,ws://b --clients 1000
 * Prints one JSON line: { deliveriesPerSec, p50Ms, p99Ms, samples }.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { type Socket, io } from 'socket.io-client';
import { type Conn, Dialer, TextMessage } from '../../../src/index.js';
import { Opcode } from '../../../src/protocol/frame.js';
import type { Endpoint } from '../jobs.js';
import { quantileOfSorted } from '../stats.js';
import { open } from './connect.js';
import { FrameCounter } from './counters.js';
import { clientDataFrame } from './frames.js';

const { values } = parseArgs({
  options: {
    kind: { type: 'string', default: 'hub' },
    urls: { type: 'string' },
    clients: { type: 'string', default: '1000' },
    window: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '2' },
    rate: { type: 'string', default: '20' },
    sampleEvery: { type: 'string', default: '20' },
  },
});

interface Client {
  send(text: string): void;
  close(): void;
}

interface Payload {
  phase: string;
  t: number;
}

const urls = (values.urls ?? '').split(',').filter((u) => u !== '');
if (urls.length === 0) throw new Error('--urls is required');
const clientCount = Number(values.clients);
const seconds = Number(values.seconds);

let phase = 'warm';
let delivered = 0;
const latencies: number[] = [];
const warmed = new Set<number>();

function onMessage(index: number, text: string): void {
  const payload = JSON.parse(text) as Payload;
  if (payload.phase !== phase) return;
  if (phase === 'warm') warmed.add(index);
  delivered++;
  if (phase === 'latency') latencies.push(performance.now() - payload.t);
}

async function connectHub(url: string, index: number): Promise<Client> {
  const { conn } = await new Dialer().dial(url);
  void readAll(conn, index);
  return { send: (text) => void conn.writeMessage(TextMessage, text).catch(() => {}), close: () => conn.closeNow() };
}

async function readAll(conn: Conn, index: number): Promise<void> {
  try {
    for await (const { data } of conn) if (index >= 0) onMessage(index, data.toString());
  } catch {
    // closed at the end
  }
}

function connectSocketIo(url: string, index: number): Promise<Client> {
  const socket: Socket = io(url.replace(/^ws/, 'http'), { transports: ['websocket'], reconnection: false, forceNew: true });
  if (index >= 0) socket.on('m', (text: string) => onMessage(index, text));
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve({ send: (text) => void socket.emit('m', text), close: () => socket.close() }));
    socket.once('connect_error', reject);
  });
}

const socketIo = values.kind === 'socketio';
const SOCKET_IO_PATH = '/socket.io/?EIO=4&transport=websocket';
/** socket.io's connect to the default namespace, after Engine.IO's open packet. */
const SOCKET_IO_CONNECT = clientDataFrame(Buffer.from('40'), Opcode.Text);

/** A subscriber that counts frames; delivered to `index` once it is past its connection's own frames. */
async function connectCounter(url: string, index: number): Promise<Client> {
  const u = new URL(url);
  const endpoint: Endpoint = { kind: 'ws', host: u.hostname, port: Number(u.port), serverPid: 0, ...(socketIo ? { path: SOCKET_IO_PATH } : {}) };
  const opened = await open(endpoint);
  const counter = new FrameCounter();
  // socket.io sends two frames of its own first: Engine.IO's open, and the namespace's connect.
  let own = socketIo ? 2 : 0;
  opened.onData = (chunk) => {
    let n = counter.push(chunk);
    const skip = Math.min(own, n);
    own -= skip;
    n -= skip;
    for (let i = 0; i < n; i++) countRaw(index);
  };
  if (opened.leftover.length > 0) opened.onData(opened.leftover);
  opened.socket.resume();
  if (socketIo) opened.socket.write(SOCKET_IO_CONNECT);
  return { send: () => {}, close: () => opened.socket.destroy() };
}

/** A raw subscriber's delivery: its content is not read, so it counts in whatever phase is on. */
function countRaw(index: number): void {
  if (phase === 'warm') warmed.add(index);
  if (phase !== 'drain') delivered++;
}

const connectFull = socketIo ? connectSocketIo : connectHub;
const sampleEvery = Number(values.sampleEvery);
const subscribers: Client[] = [];
for (let i = 0; i < clientCount; i += 50) {
  const batch = Array.from({ length: Math.min(50, clientCount - i) }, (_, j) => {
    const index = i + j;
    const url = urls[index % urls.length]!;
    return index % sampleEvery === 0 ? connectFull(url, index) : connectCounter(url, index);
  });
  subscribers.push(...(await Promise.all(batch)));
}
// The publisher's own copies are not counted (index -1).
const publisher = await connectFull(urls[0]!, -1);
const send = (): void => publisher.send(JSON.stringify({ phase, t: performance.now() }));
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// Warm up until every subscriber, on every server, receives: the servers' subscriptions are live.
const warmStart = performance.now();
while (warmed.size < clientCount) {
  if (performance.now() - warmStart > 30_000) throw new Error(`only ${warmed.size} of ${clientCount} subscribers receive`);
  send();
  await sleep(100);
}

// Throughput: keep `window` messages in flight.
phase = 'throughput';
delivered = 0;
let sent = 0;
const window = Number(values.window);
const start = performance.now();
while (performance.now() - start < seconds * 1000) {
  while (sent - Math.floor(delivered / clientCount) < window) {
    send();
    sent++;
  }
  await tick();
}
const deliveriesPerSec = delivered / ((performance.now() - start) / 1000);

// Let the backlog drain before timing single messages.
phase = 'drain';
await sleep(500);
phase = 'latency';
const rate = Number(values.rate);
const latencyStart = performance.now();
for (let n = 0; performance.now() - latencyStart < seconds * 1000; n++) {
  send();
  await sleep(1000 / rate);
}
await sleep(500);
latencies.sort((a, b) => a - b);
for (const c of [...subscribers, publisher]) c.close();
console.log(
  JSON.stringify({ deliveriesPerSec, p50Ms: quantileOfSorted(latencies, 0.5), p99Ms: quantileOfSorted(latencies, 0.99), samples: latencies.length }),
);
process.exit(0);
