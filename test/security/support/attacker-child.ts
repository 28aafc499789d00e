/**
 * The attacker of the isolation tests, in a process of its own so that building and sending the
 * attack does not take turns with the server under test on one event loop.
 *
 *   node --import tsx attacker-child.ts KIND PORT
 *
 * It tells its parent (over IPC) `{ kind: 'under-way' }` once the attack is really running, keeps
 * attacking until the parent sends `'stop'`, then sends `{ kind: 'report', ... }` and exits.
 * Slow attacks pace themselves with timers: that is the attack, not a measurement.
 */
import { RawClient, clientFrame, upgradeRequest } from '../../helpers/raw-client.js';
import { OFFER_DEFLATE, deflateMessage, tinyFragments } from './frames.js';

export type AttackKind = 'unfinished-max-frames' | 'slowloris' | 'deflate-bombs' | 'million-fragments';

/** What an attack did, to show it really ran alongside the clients. */
export interface AttackReport {
  /** Bytes the attacker wrote. */
  sent: number;
  /** Close codes the server answered the attack with. */
  closes: number[];
}

export type AttackerMessage = { kind: 'under-way' } | ({ kind: 'report' } & AttackReport) | { kind: 'failed'; error: string };

const MiB = 1024 * 1024;
/** The server's default read limit, in full: each frame of that attack stops one byte short. */
const READ_LIMIT = 16 * MiB;

let stopped = false;
const underWay = (): void => void process.send!({ kind: 'under-way' } satisfies AttackerMessage);
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function closeCode(client: RawClient): Promise<number> {
  const code = await client.closeCode();
  await client.waitClosed();
  client.destroy();
  return code;
}

/** Frames of the full read limit, each sent but one byte, then silence: 64 MiB pinned. */
async function unfinishedMaxFrames(port: number, report: AttackReport): Promise<void> {
  const header = Buffer.alloc(14); // masked with key 0: the payload goes as it is
  header[0] = 0x82;
  header[1] = 0x80 | 127;
  header.writeBigUInt64BE(BigInt(READ_LIMIT), 2);
  const frame = Buffer.concat([header, Buffer.alloc(READ_LIMIT - 1)]);
  const clients: RawClient[] = [];
  for (let i = 0; i < 4; i++) {
    const client = await RawClient.open(port);
    clients.push(client);
    client.write(frame);
    report.sent += frame.length;
  }
  underWay(); // the parent sees the server holding it all before its clients start
  while (!stopped) await pause(50);
  for (const c of clients) c.destroy();
}

/** 200 request heads dribbled a byte every 100 ms, all but the last byte. */
async function slowloris(port: number, report: AttackReport): Promise<void> {
  const head = Buffer.from(upgradeRequest());
  const clients = await Promise.all(Array.from({ length: 200 }, () => RawClient.connect(port)));
  for (let at = 0; at < head.length - 1 && !stopped; at++) {
    for (const c of clients) c.write(head.subarray(at, at + 1));
    report.sent += clients.length;
    if (at === 0) underWay();
    await pause(100);
  }
  while (!stopped) await pause(50);
  for (const c of clients) c.destroy();
}

/** One connection after another, each sent `attack` and answered with a close. */
async function repeated(port: number, report: AttackReport, attack: Buffer, extra: string[]): Promise<void> {
  while (!stopped || report.closes.length === 0) {
    const client = await RawClient.open(port, '/', extra);
    client.write(attack);
    report.sent += attack.length;
    report.closes.push(await closeCode(client));
    if (report.closes.length === 1) underWay();
  }
}

const attacks: Record<AttackKind, (port: number, report: AttackReport) => Promise<void>> = {
  'unfinished-max-frames': unfinishedMaxFrames,
  slowloris,
  // Deflate bombs: 64 MiB of zeros each, a few KiB on the wire.
  'deflate-bombs': (port, report) =>
    repeated(port, report, clientFrame({ opcode: 2, rsv1: true, payload: deflateMessage(Buffer.alloc(64 * MiB)) }), [OFFER_DEFLATE]),
  'million-fragments': (port, report) => repeated(port, report, tinyFragments(1_000_000), []),
};

const [kind, port] = [process.argv[2] as AttackKind, Number(process.argv[3])];
process.on('message', (m) => {
  if (m === 'stop') stopped = true;
});
process.on('disconnect', () => process.exit(1)); // the parent is gone
const report: AttackReport = { sent: 0, closes: [] };
attacks[kind](port, report).then(
  () => process.send!({ kind: 'report', ...report } satisfies AttackerMessage, () => process.exit(0)),
  (err: unknown) => process.send!({ kind: 'failed', error: String((err as Error).stack ?? err) } satisfies AttackerMessage, () => process.exit(1)),
);
