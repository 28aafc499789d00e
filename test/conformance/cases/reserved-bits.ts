/**
 * Autobahn category 3, reserved bits (§5.2): with no extension agreed, a frame with any of RSV1–3
 * set fails the connection with 1002. What came before it is still echoed, and nothing after it
 * (the ping) is answered.
 */
import type { ConformanceCase } from '../harness/run-cases.js';
import type { Delivery } from '../harness/peer.js';
import { type FrameSpec, OP, close, ping, text } from '../harness/wire.js';

const HELLO = 'Hello, world!';

const afterEcho = (id: string, rsv: number, delivery: Delivery, how: string): ConformanceCase => ({
  id,
  title: `a text message, then one with RSV=${rsv}, then a ping${how}: the first is echoed, then 1002 and no pong`,
  // In one write, the bad frame always arrives in the same read as the message before it.
  async run(peer) {
    await peer.send([text(HELLO), { ...text(HELLO), rsv }, ping()], delivery);
    await peer.expectMessage('text', HELLO);
    await peer.expectFailure(1002);
  },
});

const alone = (id: string, title: string, frame: FrameSpec): ConformanceCase => ({
  id,
  title,
  async run(peer) {
    await peer.send(frame);
    await peer.expectFailure(1002);
  },
});

export const reservedBitCases: ConformanceCase[] = [
  alone('3.1', 'a text message with RSV=1 fails the connection with 1002', { ...text(HELLO), rsv: 1 }),
  afterEcho('3.2', 2, 'whole', ''),
  afterEcho('3.3', 3, 'frame-wise', ', each frame in its own write'),
  afterEcho('3.4', 4, { chop: 1 }, ', in 1-byte TCP chops'),
  alone('3.5', 'a binary message with RSV=5 fails the connection with 1002', { opcode: OP.binary, payload: Buffer.from([0, 1, 2, 3, 4, 5, 6, 7]), rsv: 5 }),
  alone('3.6', 'a ping with RSV=6 fails the connection with 1002, unanswered', { ...ping('Hello, world!'), rsv: 6 }),
  alone('3.7', 'a close frame with RSV=7 fails the connection with 1002', { ...close(1000), rsv: 7 }),
];
