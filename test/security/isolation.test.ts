/**
 * Isolation: while one peer attacks, 100 well-behaved connections on the same server keep
 * completing echo round trips, every one of them, while the attack is under way.
 *
 * Nothing here depends on speed: the attacker runs in its own process (so building and sending
 * the attack does not take turns with the server on one event loop), the clients start only once
 * the attacker says the attack is running, and the test checks events and bytes: every echo came
 * back intact, and the attack was still going (its connections still held, or still being
 * answered) when the last client finished. Waits have generous outer limits, there only to turn
 * a hang into a failure.
 */
import { describe, expect, it } from 'vitest';
import { RawClient } from '../helpers/raw-client.js';
import { onCleanup } from '../helpers/servers.js';
import { type AttackKind, type AttackReport, startAttacker } from './support/attacker.js';
import { MiB } from './support/memory.js';
import { type Target, guardProcess, startTarget } from './support/target.js';

const CLIENTS = 100;
const ROUND_TRIPS = 20;
const READ_LIMIT = 16 * MiB;

/** One well-behaved client: sequential round trips, each checked; returns how many came back. */
async function wellBehaved(port: number, id: number): Promise<number> {
  const client = await RawClient.open(port);
  onCleanup(() => client.destroy());
  let echoed = 0;
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const payload = Buffer.alloc(512, (id + i) & 0xff);
    payload.writeUInt32BE(id * 1000 + i);
    client.send({ opcode: 2, payload });
    const frame = await client.nextFrame();
    expect(frame.opcode).toBe(2);
    expect(frame.payload.equals(payload)).toBe(true);
    echoed++;
  }
  client.send({ opcode: 8, payload: Buffer.from([0x03, 0xe8]) });
  expect(await client.closeCode()).toBe(1000);
  client.destroy();
  return echoed;
}

/** Connections holding an unfinished frame of the full read limit, less one byte. */
const pinned = (target: Target): number => target.conns.filter((c) => c.readBufferedAmount === READ_LIMIT - 1).length;

interface Scenario {
  name: string;
  kind: AttackKind;
  /** Waits, in this process, until the server shows the attack (beyond the attacker's word). */
  seen?: (target: Target) => Promise<void>;
  /** Checks, once the clients are done and before the attack stops, that it was still on. */
  stillOn?: (target: Target) => void;
  check: (report: AttackReport) => void;
  /** Errors the server may report (by name): the slowloris heads, cut off when the attacker stops. */
  allowedErrors?: string[];
}

const scenarios: Scenario[] = [
  {
    name: 'unfinished frames of the full read limit (4 × 16 MiB)',
    kind: 'unfinished-max-frames',
    // The server holds all of it (a reader waits for each message): 64 MiB pinned by one peer.
    seen: (target) => expect.poll(() => pinned(target), { timeout: 60_000 }).toBe(4),
    stillOn: (target) => expect(pinned(target)).toBe(4),
    check: (r) => expect(r.sent).toBeGreaterThan(64 * MiB - 100),
  },
  {
    name: '200 slowloris request heads',
    kind: 'slowloris',
    allowedErrors: ['HandshakeError'],
    check: (r) => expect(r.sent).toBeGreaterThanOrEqual(200),
  },
  {
    name: 'deflate bombs, one after another',
    kind: 'deflate-bombs',
    check: (r) => expect(new Set(r.closes)).toEqual(new Set([1009])),
  },
  {
    name: 'a million 1-byte fragments, again and again',
    kind: 'million-fragments',
    check: (r) => expect(new Set(r.closes)).toEqual(new Set([1009])),
  },
];

describe('isolation: 100 well-behaved connections keep echoing while one peer attacks', () => {
  for (const { name, kind, seen, stillOn, check, allowedErrors = [] } of scenarios) {
    it(name, { timeout: 180_000 }, async () => {
      guardProcess();
      const target = await startTarget({ enableCompression: true });
      const attacker = startAttacker(kind, target.port);
      await attacker.underWay;
      await seen?.(target);
      const echoed = await Promise.all(Array.from({ length: CLIENTS }, (_, id) => wellBehaved(target.port, id)));
      stillOn?.(target);
      const report = await attacker.stop();
      expect(echoed.reduce((a, b) => a + b, 0)).toBe(CLIENTS * ROUND_TRIPS);
      check(report);
      expect(target.errors.filter((e) => !allowedErrors.includes((e as Error).name))).toEqual([]);
    });
  }
});
