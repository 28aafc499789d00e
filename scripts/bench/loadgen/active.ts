/**
 * The active share of the idle-at-scale scenario: each active connection sends one small message
 * at a fixed rate (open loop: the schedule does not wait for echoes, so a slow server shows as
 * latency instead of fewer samples), and the time to each echo is recorded. Sends are spread
 * evenly over the interval in ticks, so that the load arrives steadily rather than in bursts.
 */
import type { Endpoint } from '../jobs.js';
import type { Opened } from './connect.js';
import { FixedSizeCounter, FrameCounter, type MessageCounter } from './counters.js';

/** The scheduler's step: each tick sends for one slice of the active connections. */
export const TICK_MS = 10;

interface Active {
  opened: Opened;
  counter: MessageCounter;
  /** Send times (ms) of messages not yet echoed, oldest first; `head` indexes the oldest. */
  sentAt: number[];
  head: number;
}

export interface ActiveResult {
  /** Round trips, in microseconds, of messages sent inside the window. */
  samples: number[];
  /** Messages sent inside the window whose echo never came before the drain timed out. */
  lost: number;
}

export class ActiveLoad {
  private readonly actives: Active[];
  private timer: NodeJS.Timeout | undefined;
  private tick = 0;
  private windowFrom = Number.POSITIVE_INFINITY;
  private windowTo = Number.POSITIVE_INFINITY;
  private readonly samples: number[] = [];
  /** Messages written so far. */
  sent = 0;

  /** `frame`: the bytes of one message (a masked frame, or raw bytes for a TCP echo). */
  constructor(
    endpoint: Endpoint,
    conns: Opened[],
    private readonly frame: Buffer,
    private readonly intervalMs: number,
  ) {
    this.actives = conns.map((opened) => {
      const counter: MessageCounter = endpoint.kind === 'ws' ? new FrameCounter() : new FixedSizeCounter(frame.length);
      const active: Active = { opened, counter, sentAt: [], head: 0 };
      opened.onData = (chunk) => this.received(active, counter.push(chunk));
      return active;
    });
  }

  private received(active: Active, echoes: number): void {
    if (echoes === 0) return;
    const now = performance.now();
    for (let i = 0; i < echoes && active.head < active.sentAt.length; i++) {
      const sent = active.sentAt[active.head++]!;
      if (sent >= this.windowFrom && sent < this.windowTo) this.samples.push((now - sent) * 1000);
    }
    if (active.head === active.sentAt.length) {
      active.sentAt.length = 0;
      active.head = 0;
    }
  }

  /** Starts sending: every connection once per `intervalMs`, spread over the ticks of the interval. */
  start(): void {
    for (const a of this.actives) {
      if (a.opened.leftover.length > 0) a.opened.onData(a.opened.leftover);
      a.opened.socket.resume();
    }
    const slots = Math.max(1, Math.round(this.intervalMs / TICK_MS));
    this.timer = setInterval(() => {
      const slot = this.tick++ % slots;
      const now = performance.now();
      for (let i = slot; i < this.actives.length; i += slots) {
        const a = this.actives[i]!;
        a.sentAt.push(now);
        a.opened.socket.write(this.frame);
        this.sent++;
      }
    }, TICK_MS);
  }

  /** Echoes timed so far (of messages sent inside the window). */
  get timed(): number {
    return this.samples.length;
  }

  openWindow(): void {
    this.windowFrom = performance.now();
  }

  closeWindow(): void {
    this.windowTo = performance.now();
  }

  /** Stops sending and waits (up to `timeoutMs`) for the echoes still owed. */
  async stop(timeoutMs: number): Promise<ActiveResult> {
    clearInterval(this.timer);
    const deadline = performance.now() + timeoutMs;
    while (this.owed() > 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    let lost = 0;
    for (const a of this.actives) {
      for (let i = a.head; i < a.sentAt.length; i++) if (a.sentAt[i]! >= this.windowFrom && a.sentAt[i]! < this.windowTo) lost++;
    }
    return { samples: this.samples, lost };
  }

  private owed(): number {
    return this.actives.reduce((sum, a) => sum + a.sentAt.length - a.head, 0);
  }
}
