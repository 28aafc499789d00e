/**
 * Autobahn category 9, limits and performance: large messages (up to 16 MiB, the echo server's
 * limit being 64 MiB), a 4 MiB message in fragments from 64 bytes (65,536 frames) up to one
 * frame, a 1 MiB message in TCP chops of 64 to 2048 bytes, and 1000 small messages one round
 * trip at a time. Each must come back intact. Autobahn times these; here they only have to
 * finish within a generous timeout (speed is measured by the benchmarks).
 */
import type { ConformanceCase } from '../harness/run-cases.js';
import { OP, continuation } from '../harness/wire.js';
import { binaryPayload, pieces, textPayload } from './payloads.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const TIMEOUT = 120_000;

type Kind = 'text' | 'binary';
const payloadOf = (kind: Kind, length: number): Buffer => (kind === 'text' ? textPayload(length) : binaryPayload(length));
const opcodeOf = (kind: Kind): number => (kind === 'text' ? OP.text : OP.binary);
const size = (n: number): string => (n >= MiB ? `${n / MiB} MiB` : n >= KiB ? `${n / KiB} KiB` : `${n} bytes`);

function perKind(group: [text: number, binary: number], make: (kind: Kind, sub: number) => ConformanceCase[]): ConformanceCase[] {
  return [...make('text', group[0]), ...make('binary', group[1])];
}

export const limitCases: ConformanceCase[] = [
  ...perKind([1, 2], (kind, sub) =>
    [64 * KiB, 256 * KiB, MiB, 4 * MiB, 8 * MiB, 16 * MiB].map((length, i) => ({
      id: `9.${sub}.${i + 1}`,
      title: `a ${kind} message of ${size(length)} is echoed`,
      timeout: TIMEOUT,
      async run(peer) {
        const payload = payloadOf(kind, length);
        await peer.send({ opcode: opcodeOf(kind), payload });
        await peer.expectMessage(kind, payload);
        await peer.closeNormally();
      },
    })),
  ),
  ...perKind([3, 4], (kind, sub) =>
    [64, 256, KiB, 4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, MiB, 4 * MiB].map((fragment, i) => ({
      id: `9.${sub}.${i + 1}`,
      title: `a ${kind} message of 4 MiB in fragments of ${size(fragment)} (${(4 * MiB) / fragment} frames) is echoed`,
      timeout: TIMEOUT,
      async run(peer) {
        const payload = payloadOf(kind, 4 * MiB);
        const parts = pieces(payload, fragment);
        await peer.send(parts.map((p, j) => (j === 0 ? { opcode: opcodeOf(kind), payload: p, fin: parts.length === 1 } : continuation(p, j === parts.length - 1))));
        await peer.expectMessage(kind, payload);
        await peer.closeNormally();
      },
    })),
  ),
  ...perKind([5, 6], (kind, sub) =>
    [64, 128, 256, 512, 1024, 2048].map((chop, i) => ({
      id: `9.${sub}.${i + 1}`,
      title: `a ${kind} message of 1 MiB written in TCP chops of ${chop} bytes is echoed`,
      timeout: TIMEOUT,
      async run(peer) {
        const payload = payloadOf(kind, MiB);
        await peer.send({ opcode: opcodeOf(kind), payload }, { chop });
        await peer.expectMessage(kind, payload);
        await peer.closeNormally();
      },
    })),
  ),
  ...perKind([7, 8], (kind, sub) =>
    [0, 16, 64, 256, KiB, 4 * KiB].map((length, i) => ({
      id: `9.${sub}.${i + 1}`,
      title: `1000 ${kind} messages of ${size(length)}, each sent when the last came back, are all echoed`,
      timeout: TIMEOUT,
      async run(peer) {
        for (let n = 0; n < 1000; n++) {
          // Two payloads in turn, so an echo of the previous message cannot pass for this one.
          const payload = payloadOf(kind, length + 1).subarray(n % 2, n % 2 + length);
          await peer.send({ opcode: opcodeOf(kind), payload });
          await peer.expectMessage(kind, payload);
        }
        await peer.closeNormally();
      },
    })),
  ),
];
