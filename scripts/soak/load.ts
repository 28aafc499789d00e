/**
 * The soak's load process: keeps `--connections` WebSocket connections open with the library's
 * own `Dialer`, sends sequence-numbered text messages at `--rate` per second in all, kills
 * `--churn` connections a second abruptly (and closes a quarter as many with a closing handshake
 * once their echoes are in), reconnecting each after a pause, for `--seconds`.
 *
 * Every echo must be the oldest message still awaited on its connection. At the end, every
 * message sent on a connection that was not killed abruptly must have come back: those that did
 * not are `lost`. Messages in flight on a killed connection are `abandoned`, counted apart.
 */
import { parseArgs } from 'node:util';
import { type Conn, Dialer, TextMessage } from '../../src/index.js';
import type { LoadCounters, LoadMessage } from './protocol.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    connections: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '300' },
    rate: { type: 'string', default: '2000' },
    churn: { type: 'string', default: '20' },
  },
});
const port = Number(values.port);
const connections = Number(values.connections);
const seconds = Number(values.seconds);
const rate = Number(values.rate);
const churn = Number(values.churn);

/** Most messages awaited on one connection before it gets no more. */
const MAX_IN_FLIGHT = 32;
const DIAL_CONCURRENCY = 256;

type State = 'down' | 'connecting' | 'open' | 'aborting' | 'draining' | 'closing';

interface Slot {
  id: number;
  generation: number;
  state: State;
  conn: Conn | null;
  nextSeq: number;
  /** Messages sent and not yet echoed, oldest first. */
  awaited: string[];
}

const counters: LoadCounters = {
  open: 0,
  connects: 0,
  connectFailures: 0,
  sent: 0,
  echoed: 0,
  abandoned: 0,
  lost: 0,
  corrupt: 0,
  aborts: 0,
  graceful: 0,
  uncleanCloses: 0,
  unexpectedEnds: 0,
};

const dialer = new Dialer({ handshakeTimeout: 60_000 });
const url = `ws://127.0.0.1:${port}/`;
const slots: Slot[] = Array.from({ length: connections }, (_, id) => ({ id, generation: 0, state: 'down', conn: null, nextSeq: 0, awaited: [] }));
let stopping = false;
const report = (type: LoadMessage['type']): void => void process.send?.({ type, counters: { ...counters } } satisfies LoadMessage);

async function open(slot: Slot): Promise<void> {
  slot.state = 'connecting';
  for (;;) {
    try {
      const { conn } = await dialer.dial(url);
      slot.conn = conn;
      slot.generation++;
      slot.nextSeq = 0;
      slot.awaited = [];
      slot.state = 'open';
      counters.open++;
      counters.connects++;
      void read(slot, conn);
      if (stopping) void closeGracefully(slot, conn);
      return;
    } catch {
      counters.connectFailures++;
      if (stopping) {
        slot.state = 'down';
        return;
      }
      await sleep(1000);
    }
  }
}

/** Checks every echo against the oldest awaited message; settles the accounts when it ends. */
async function read(slot: Slot, conn: Conn): Promise<void> {
  try {
    for await (const { data } of conn) {
      const expected = slot.awaited.shift();
      if (expected !== undefined && data.toString('utf8') === expected) counters.echoed++;
      else counters.corrupt++;
      if (slot.state === 'draining' && slot.awaited.length === 0) void closeGracefully(slot, conn);
    }
  } catch {
    // Ended abruptly: by us (aborting) or not (counted below).
  }
  const inFlight = slot.awaited.length;
  slot.awaited = [];
  if (slot.state === 'aborting') counters.abandoned += inFlight;
  else {
    counters.lost += inFlight;
    if (slot.state !== 'closing') counters.unexpectedEnds++;
  }
  counters.open--;
  slot.conn = null;
  slot.state = 'down';
  if (!stopping) setTimeout(() => void (stopping ? undefined : open(slot)), Math.random() * 1000);
}

async function closeGracefully(slot: Slot, conn: Conn): Promise<void> {
  if (slot.state === 'closing') return;
  slot.state = 'closing';
  await conn.close().catch(() => {});
  const info = await conn.closed;
  if (info.wasClean) counters.graceful++;
  else counters.uncleanCloses++;
}

function send(slot: Slot): void {
  const conn = slot.conn!;
  const text = `${slot.id}:${slot.generation}:${slot.nextSeq++}:${'x'.repeat(Math.floor(Math.random() * 200))}`;
  slot.awaited.push(text);
  counters.sent++;
  conn.writeMessage(TextMessage, text).catch(() => {
    // The connection is going (killed by us, or counted when its reader ends).
  });
}

function randomSlot(state: State): Slot | null {
  for (let tries = 0; tries < 20; tries++) {
    const slot = slots[Math.floor(Math.random() * slots.length)]!;
    if (slot.state === state) return slot;
  }
  return null;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// Ramp up with bounded concurrency.
let next = 0;
await Promise.all(
  Array.from({ length: Math.min(DIAL_CONCURRENCY, connections) }, async () => {
    while (next < slots.length) await open(slots[next++]!);
  }),
);
report('progress');

const TICK = 20;
let sendCredit = 0;
let churnCredit = 0;
const ticker = setInterval(() => {
  sendCredit += (rate * TICK) / 1000;
  for (; sendCredit >= 1; sendCredit--) {
    const slot = randomSlot('open');
    if (slot !== null && slot.awaited.length < MAX_IN_FLIGHT) send(slot);
  }
  churnCredit += (churn * TICK) / 1000;
  for (; churnCredit >= 1; churnCredit--) {
    const slot = randomSlot('open');
    if (slot === null) continue;
    if (Math.random() < 0.2) {
      // A graceful close: no more sends; close once every echo is in.
      slot.state = 'draining';
      if (slot.awaited.length === 0) void closeGracefully(slot, slot.conn!);
    } else {
      slot.state = 'aborting';
      counters.aborts++;
      slot.conn!.closeNow();
    }
  }
}, TICK);
const progress = setInterval(() => report('progress'), 1000);

await sleep(seconds * 1000);
stopping = true;
clearInterval(ticker);

// Let every echo come back, then close every connection with a closing handshake.
const drainDeadline = Date.now() + 60_000;
while (slots.some((s) => s.awaited.length > 0 && (s.state === 'open' || s.state === 'draining')) && Date.now() < drainDeadline) await sleep(100);
const live = slots.filter((s) => s.conn !== null && (s.state === 'open' || s.state === 'draining'));
for (let i = 0; i < live.length; i += DIAL_CONCURRENCY) {
  await Promise.all(live.slice(i, i + DIAL_CONCURRENCY).map((s) => closeGracefully(s, s.conn!)));
}
const endDeadline = Date.now() + 60_000;
while (counters.open > 0 && Date.now() < endDeadline) await sleep(100);
clearInterval(progress);
report('done');
process.disconnect?.();
