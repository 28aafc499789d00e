/**
 * Isolation: while one peer attacks, 100 well-behaved connections on the same server keep
 * completing echo round trips, every one of them, with a p99 latency under a generous bound
 * (seconds: the machine may be loaded; the point is that nobody starves, not a speed target).
 */
import { describe, expect, it } from 'vitest';
import { RawClient, clientFrame, upgradeRequest } from '../helpers/raw-client.js';
import { onCleanup, sleep } from '../helpers/servers.js';
import { OFFER_DEFLATE, deflateMessage, tinyFragments } from './support/frames.js';
import { MiB } from './support/memory.js';
import { type Target, expectClose, guardProcess, startTarget } from './support/target.js';

const CLIENTS = 100;
const ROUND_TRIPS = 20;
const P99_BOUND_MS = 5000;

/** What an attack did, to show it really ran alongside the clients. */
interface AttackReport {
  /** Bytes the attacker wrote. */
  sent: number;
  /** Close frames the server answered the attack with. */
  closes: number[];
}

type Attack = (target: Target, stopped: () => boolean) => Promise<AttackReport>;

/** One well-behaved client: sequential round trips; returns each one's latency in ms. */
async function wellBehaved(port: number, id: number): Promise<number[]> {
  const client = await RawClient.open(port);
  onCleanup(() => client.destroy());
  const latencies: number[] = [];
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const payload = Buffer.alloc(512, (id + i) & 0xff);
    payload.writeUInt32BE(id * 1000 + i);
    const started = performance.now();
    client.send({ opcode: 2, payload });
    const frame = await client.nextFrame(30_000);
    latencies.push(performance.now() - started);
    expect(frame.payload).toEqual(payload);
  }
  client.send({ opcode: 8, payload: Buffer.from([0x03, 0xe8]) });
  await client.closeCode(30_000);
  client.destroy();
  return latencies;
}

async function attacker(target: Target, extra: string[] = []): Promise<RawClient> {
  const client = await RawClient.open(target.port, '/', extra);
  onCleanup(() => client.destroy());
  return client;
}

/** Frames of the full read limit (16 MiB), each sent but one byte, then silence. */
const unfinishedMaxFrames: Attack = async (target) => {
  const report: AttackReport = { sent: 0, closes: [] };
  const limit = 16 * MiB;
  for (let i = 0; i < 4; i++) {
    const client = await attacker(target);
    const header = Buffer.alloc(14);
    header[0] = 0x82;
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(limit), 2);
    client.write(Buffer.concat([header, Buffer.alloc(limit - 1)]));
    report.sent += 14 + limit - 1;
  }
  // The server holds all of it (a reader waits for each message): 64 MiB pinned by one peer.
  await expect.poll(() => target.conns.filter((c) => c.readBufferedAmount === limit - 1).length, { timeout: 60_000 }).toBe(4);
  return report;
};

/** 200 request heads dribbled a byte every 100 ms. */
const slowloris: Attack = async (target, stopped) => {
  const report: AttackReport = { sent: 0, closes: [] };
  const head = Buffer.from(upgradeRequest());
  const clients = await Promise.all(
    Array.from({ length: 200 }, async () => {
      const c = await RawClient.connect(target.port);
      onCleanup(() => c.destroy());
      return c;
    }),
  );
  for (let at = 0; at < head.length - 1 && !stopped(); at++) {
    for (const c of clients) c.write(head.subarray(at, at + 1));
    report.sent += clients.length;
    await sleep(100);
  }
  return report;
};

/** Deflate bombs (64 MiB of zeros each), one connection after another. */
const deflateBombs: Attack = async (target, stopped) => {
  const report: AttackReport = { sent: 0, closes: [] };
  const bomb = clientFrame({ opcode: 2, rsv1: true, payload: deflateMessage(Buffer.alloc(64 * MiB)) });
  while (!stopped() || report.closes.length === 0) {
    const client = await attacker(target, [OFFER_DEFLATE]);
    client.write(bomb);
    report.sent += bomb.length;
    report.closes.push((await expectClose(target, client, 1009, 30_000)).payload.readUInt16BE(0));
    client.destroy();
  }
  return report;
};

/** A million 1-byte fragments, one connection after another. */
const millionFragments: Attack = async (target, stopped) => {
  const report: AttackReport = { sent: 0, closes: [] };
  const fragments = tinyFragments(1_000_000);
  while (!stopped() || report.closes.length === 0) {
    const client = await attacker(target);
    client.write(fragments);
    report.sent += fragments.length;
    report.closes.push((await expectClose(target, client, 1009, 30_000)).payload.readUInt16BE(0));
    client.destroy();
  }
  return report;
};

function p99(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)]!;
}

const scenarios: Array<[string, Attack, (report: AttackReport) => void]> = [
  ['unfinished frames of the full read limit (4 × 16 MiB)', unfinishedMaxFrames, (r) => expect(r.sent).toBeGreaterThan(64 * MiB - 100)],
  ['200 slowloris request heads', slowloris, (r) => expect(r.sent).toBeGreaterThan(200)],
  ['deflate bombs, one after another', deflateBombs, (r) => expect(new Set(r.closes)).toEqual(new Set([1009]))],
  ['a million 1-byte fragments, again and again', millionFragments, (r) => expect(new Set(r.closes)).toEqual(new Set([1009]))],
];

describe('isolation: 100 well-behaved connections keep echoing while one peer attacks', () => {
  for (const [name, attack, check] of scenarios) {
    it(name, { timeout: 90_000 }, async () => {
      guardProcess();
      const target = await startTarget({ enableCompression: true });
      let done = false;
      const attacking = attack(target, () => done);
      await sleep(100); // the attack is under way before the clients start
      const results = await Promise.all(Array.from({ length: CLIENTS }, (_, id) => wellBehaved(target.port, id)));
      done = true;
      const report = await attacking;
      const latencies = results.flat();
      expect(latencies.length).toBe(CLIENTS * ROUND_TRIPS);
      expect(p99(latencies)).toBeLessThan(P99_BOUND_MS);
      check(report);
    });
  }
});
