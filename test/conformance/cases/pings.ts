/**
 * Autobahn category 2, pings and pongs (§5.5.2, §5.5.3): a ping is answered by a pong with the
 * same payload, control payloads stop at 125 bytes, and an unsolicited pong needs no answer.
 */
import type { ConformanceCase } from '../harness/run-cases.js';
import { ping, pong } from '../harness/wire.js';

const answered = (id: string, title: string, payload: Buffer | string, chop?: number): ConformanceCase => ({
  id,
  title,
  async run(peer) {
    await peer.send(ping(payload), chop === undefined ? 'whole' : { chop });
    await peer.expectPong(payload);
    await peer.closeNormally();
  },
});

const tenPings = (id: string, title: string, chop?: number): ConformanceCase => ({
  id,
  title,
  async run(peer) {
    const payloads = Array.from({ length: 10 }, (_, i) => `payload-${i}`);
    for (const p of payloads) await peer.send(ping(p), chop === undefined ? 'whole' : { chop });
    for (const p of payloads) await peer.expectPong(p);
    await peer.closeNormally();
  },
});

export const pingCases: ConformanceCase[] = [
  answered('2.1', 'a ping without payload is answered by a pong without payload', ''),
  answered('2.2', 'a ping with a text payload is answered with the same payload', 'Hello, world!'),
  answered('2.3', 'a ping with a binary payload is answered with the same payload', Buffer.from([0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff])),
  answered('2.4', 'a ping with 125 bytes of payload (the most a control frame holds) is answered', Buffer.alloc(125, 0xfe)),
  {
    id: '2.5',
    title: 'a ping with 126 bytes of payload fails the connection with 1002 (§5.5)',
    async run(peer) {
      await peer.send(ping(Buffer.alloc(126, 0xfe)));
      await peer.expectFailure(1002);
    },
  },
  answered('2.6', 'a ping with 125 bytes sent in 1-byte TCP chops is answered', Buffer.alloc(125, 0xfe), 1),
  {
    id: '2.7',
    title: 'an unsolicited pong without payload gets no answer',
    async run(peer) {
      await peer.send(pong());
      await peer.closeNormally(); // the close answer must be the next thing the testee sends
    },
  },
  {
    id: '2.8',
    title: 'an unsolicited pong with payload gets no answer',
    async run(peer) {
      await peer.send(pong('unsolicited pong payload'));
      await peer.closeNormally();
    },
  },
  {
    id: '2.9',
    title: 'an unsolicited pong, then a ping: only the ping is answered',
    async run(peer) {
      await peer.send([pong('unsolicited pong payload'), ping('ping payload')]);
      await peer.expectPong('ping payload');
      await peer.closeNormally();
    },
  },
  tenPings('2.10', '10 pings in a row are all answered, in order'),
  tenPings('2.11', '10 pings in a row sent in 1-byte TCP chops are all answered, in order', 1),
  {
    id: '2.4',
    title: 'pings of every payload length from 0 to 125 bytes are answered with the same payload',
    async run(peer) {
      const payloads = Array.from({ length: 126 }, (_, n) => Buffer.alloc(n, n));
      await peer.send(payloads.map((p) => ping(p)));
      for (const p of payloads) await peer.expectPong(p);
      await peer.closeNormally();
    },
  },
];
