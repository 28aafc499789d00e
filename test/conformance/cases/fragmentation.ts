/**
 * Autobahn category 5, fragmentation (§5.4): fragmented messages are reassembled, control frames
 * may come between fragments and are answered at once, control frames themselves are never
 * fragmented, and a continuation with nothing to continue or a new message inside a fragmented
 * one fails the connection with 1002. Each sequence is sent in one write, frame by frame, and in
 * 1-byte TCP chops, where Autobahn does.
 */
import type { ConformanceCase } from '../harness/run-cases.js';
import type { Delivery, Peer } from '../harness/peer.js';
import { type FrameSpec, OP, continuation, ping, text } from '../harness/wire.js';

const DELIVERIES: ReadonlyArray<[Delivery, string]> = [
  ['whole', 'in one write'],
  ['frame-wise', 'frame by frame'],
  [{ chop: 1 }, 'in 1-byte TCP chops'],
];

/** The same sequence delivered three ways, as Autobahn's consecutive case numbers do. */
function threeWays(first: number, title: string, frames: readonly FrameSpec[], expect: (peer: Peer) => Promise<void>): ConformanceCase[] {
  return DELIVERIES.map(([delivery, how], i) => ({
    id: `5.${first + i}`,
    title: `${title}, ${how}`,
    async run(peer) {
      await peer.send(frames, delivery);
      await expect(peer);
    },
  }));
}

const failsWith1002 = (peer: Peer): Promise<void> => peer.expectFailure(1002);

export const fragmentationCases: ConformanceCase[] = [
  {
    id: '5.1',
    title: 'a ping in 2 fragments fails the connection with 1002 (§5.5)',
    async run(peer) {
      await peer.send([{ opcode: OP.ping, fin: false, payload: 'fragment1' }, continuation('fragment2')]);
      await peer.expectFailure(1002);
    },
  },
  {
    id: '5.2',
    title: 'a pong in 2 fragments fails the connection with 1002 (§5.5)',
    async run(peer) {
      await peer.send([{ opcode: OP.pong, fin: false, payload: 'fragment1' }, continuation('fragment2')]);
      await peer.expectFailure(1002);
    },
  },
  ...threeWays(3, 'a text message in 2 fragments is echoed whole', [text('fragment1', false), continuation('fragment2')], async (peer) => {
    await peer.expectMessage('text', 'fragment1fragment2');
    await peer.closeNormally();
  }),
  ...threeWays(
    6,
    'a text message in 2 fragments with a ping between them: the pong, then the echo',
    [text('fragment1', false), ping('ping payload'), continuation('fragment2')],
    async (peer) => {
      await peer.expectPong('ping payload');
      await peer.expectMessage('text', 'fragment1fragment2');
      await peer.closeNormally();
    },
  ),
  ...threeWays(
    9,
    'a final continuation frame with nothing to continue, then a text message, fails with 1002',
    [continuation('non-continuation payload'), text('Hello, world!')],
    failsWith1002,
  ),
  ...threeWays(
    12,
    'a non-final continuation frame with nothing to continue, then a text message, fails with 1002',
    [continuation('non-continuation payload', false), text('Hello, world!')],
    failsWith1002,
  ),
  {
    id: '5.15',
    title: 'a message in 2 fragments, then a continuation with nothing to continue: the echo, then 1002',
    async run(peer) {
      await peer.send([text('fragment1', false), continuation('fragment2'), continuation('fragment3', false), text('fragment4')]);
      await peer.expectMessage('text', 'fragment1fragment2');
      await peer.expectFailure(1002);
    },
  },
  ...([
    ['5.16', false],
    ['5.17', true],
  ] as const).map(
    ([id, fin]): ConformanceCase => ({
      id,
      title: `a ${fin ? 'final' : 'non-final'} continuation with nothing to continue, then a fragmented message, twice: 1002 at once`,
      async run(peer) {
        const round = [continuation('fragment1', fin), text('fragment2', false), continuation('fragment3')];
        await peer.send([...round, ...round]);
        await peer.expectFailure(1002);
      },
    }),
  ),
  {
    id: '5.18',
    title: 'a new text message inside a fragmented one fails the connection with 1002',
    async run(peer) {
      await peer.send([text('fragment1', false), text('fragment2')]);
      await peer.expectFailure(1002);
    },
  },
  ...([
    ['5.19', 'whole'],
    ['5.20', 'frame-wise'],
  ] as const).map(
    ([id, delivery]): ConformanceCase => ({
      id,
      title: `a message in 5 fragments with 2 pings between them${delivery === 'whole' ? '' : ', frame by frame'}: each pong comes before the message is complete, then the echo`,
      async run(peer) {
        await peer.send([text('fragment1', false), continuation('fragment2', false), ping('pongme 1!')], delivery);
        // The last fragment is not sent yet: the first pong must come anyway.
        await peer.expectPong('pongme 1!');
        await peer.send([continuation('fragment3', false), continuation('fragment4', false), ping('pongme 2!'), continuation('fragment5')], delivery);
        await peer.expectPong('pongme 2!');
        await peer.expectMessage('text', 'fragment1fragment2fragment3fragment4fragment5');
        await peer.closeNormally();
      },
    }),
  ),
];
