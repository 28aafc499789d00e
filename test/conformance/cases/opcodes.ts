/**
 * Autobahn category 4, opcodes (§5.2): the reserved data opcodes 3–7 and control opcodes 11–15
 * fail the connection with 1002. A message sent before the bad frame is still echoed; the ping
 * after it is not answered.
 */
import type { ConformanceCase } from '../harness/run-cases.js';
import type { Delivery } from '../harness/peer.js';
import { ping, text } from '../harness/wire.js';

const HELLO = 'Hello, world!';
const PAYLOAD = 'reserved opcode payload';

function casesFor(group: 1 | 2, opcodes: readonly number[]): ConformanceCase[] {
  const kind = group === 1 ? 'data' : 'control';
  const [a, b, c, d, e] = opcodes as [number, number, number, number, number];
  const alone = (n: number, opcode: number, payload: string): ConformanceCase => ({
    id: `4.${group}.${n}`,
    title: `a frame with the reserved ${kind} opcode ${opcode}${payload === '' ? '' : ' and a payload'} fails the connection with 1002`,
    async run(peer) {
      await peer.send({ opcode, payload });
      await peer.expectFailure(1002);
    },
  });
  const afterEcho = (n: number, opcode: number, payload: string, delivery: Delivery, how: string): ConformanceCase => ({
    id: `4.${group}.${n}`,
    title: `a text message, a frame with the reserved ${kind} opcode ${opcode}, a ping${how}: the echo, then 1002 and no pong`,
    async run(peer) {
      await peer.send([text(HELLO), { opcode, payload }, ping()], delivery);
      await peer.expectMessage('text', HELLO);
      await peer.expectFailure(1002);
    },
  });
  return [
    alone(1, a, ''),
    alone(2, b, PAYLOAD),
    afterEcho(3, c, '', 'whole', ''),
    afterEcho(4, d, PAYLOAD, 'whole', ''),
    afterEcho(5, e, PAYLOAD, { chop: 1 }, ', in 1-byte TCP chops'),
  ];
}

export const opcodeCases: ConformanceCase[] = [...casesFor(1, [3, 4, 5, 6, 7]), ...casesFor(2, [11, 12, 13, 14, 15])];
