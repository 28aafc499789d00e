/**
 * Autobahn category 1, framing: text and binary messages of every length where the length
 * encoding changes (§5.2: 7-bit up to 125, 16-bit from 126, 64-bit from 65536), each sent in one
 * write and in 1-byte TCP chops. The testee must echo each message whole, with its type.
 */
import type { ConformanceCase } from '../harness/run-cases.js';
import type { Delivery } from '../harness/peer.js';
import { OP } from '../harness/wire.js';
import { binaryPayload, textPayload } from './payloads.js';

const LENGTHS = [0, 125, 126, 127, 128, 65535, 65536];

function echoCase(id: string, type: 'text' | 'binary', length: number, delivery: Delivery, how: string): ConformanceCase {
  const payload = type === 'text' ? textPayload(length) : binaryPayload(length);
  return {
    id,
    title: `a ${type} message of ${length} bytes, ${how}, is echoed`,
    async run(peer) {
      await peer.send({ opcode: type === 'text' ? OP.text : OP.binary, payload }, delivery);
      await peer.expectMessage(type, payload);
      await peer.closeNormally();
    },
  };
}

export const framingCases: ConformanceCase[] = (['text', 'binary'] as const).flatMap((type, t) => [
  ...LENGTHS.map((length, i) => echoCase(`1.${t + 1}.${i + 1}`, type, length, 'whole', 'in one write')),
  echoCase(`1.${t + 1}.8`, type, 65536, { chop: 997 }, 'in chops of 997 bytes'),
  ...LENGTHS.map((length, i) => echoCase(`1.${t + 1}.${i + 1}`, type, length, { chop: 1 }, 'in 1-byte TCP chops')),
]);
