/**
 * Autobahn category 7, closing (§5.5.1, §7): a close frame is answered once, echoing its code,
 * and nothing the peer sends after its close frame is processed; then the server ends TCP.
 * Close payloads are checked: 1 byte, a reason that is not UTF-8, a payload over 125 bytes, and
 * a code that may not be sent fail the connection (1002, or 1007 for the reason).
 */
import type { ConformanceCase } from '../harness/run-cases.js';
import { type FrameSpec, OP, close, continuation, ping, text } from '../harness/wire.js';

/** The codes Autobahn sends in 7.7 (valid) and 7.9 (invalid), in its order. */
const VALID_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999];
const INVALID_CODES = [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999];

const closedAfter = (id: string, title: string, frames: readonly FrameSpec[]): ConformanceCase => ({
  id,
  title,
  async run(peer) {
    await peer.send(frames);
    // The answer to the first close frame is the next thing, and the last, before TCP ends.
    await peer.expectClose([1000]);
    await peer.expectTcpClosed();
  },
});

const failsWith = (id: string, title: string, frame: FrameSpec, code: number): ConformanceCase => ({
  id,
  title,
  async run(peer) {
    await peer.send(frame);
    await peer.expectFailure(code);
  },
});

const validCode = (id: string, code: number, note = ''): ConformanceCase => ({
  id,
  title: `a close frame with the valid code ${code}${note} is answered with ${code} or 1000`,
  run: (peer) => peer.closeNormally(code),
});

const invalidCode = (id: string, code: number, note = ''): ConformanceCase =>
  failsWith(id, `a close frame with the code ${code}${note} fails the connection with 1002 (§7.4)`, close(code), 1002);

export const closeCases: ConformanceCase[] = [
  {
    id: '7.1.1',
    title: 'a text message is echoed, then a close frame is answered and the server ends TCP first (§7.1.1)',
    async run(peer) {
      await peer.send(text('Hello World!'));
      await peer.expectMessage('text', 'Hello World!');
      await peer.closeNormally();
    },
  },
  closedAfter('7.1.2', 'two close frames: the first is answered once, the second ignored', [close(1000), close()]),
  closedAfter('7.1.3', 'a ping after the close frame is not answered', [close(1000), ping()]),
  closedAfter('7.1.4', 'a text message after the close frame is not echoed', [close(1000), text('Hello World!')]),
  closedAfter('7.1.5', 'a fragment, a close frame, then the last fragment: only the close is answered', [
    text('fragment1', false),
    close(1000),
    continuation('fragment2'),
  ]),
  {
    id: '7.1.6',
    title: 'informational: a 256 KiB message, a small one, a close frame and a ping: echoes may come, then the close answer, never a pong',
    async run(peer) {
      const big = Buffer.alloc(256 * 1024, 'BAsd7&jh23');
      await peer.send([text(big), text('Hello World!'), close(1000), ping()]);
      // Whether the echoes go out before the close answer is left to the implementation.
      const expected = [big, Buffer.from('Hello World!')];
      for (;;) {
        const event = await peer.next('an echo or the close answer');
        if (event.kind === 'close') {
          if (event.code !== 1000) throw new Error(`close answer ${event.code}, expected 1000`);
          break;
        }
        if (event.kind !== 'message' || !event.data.equals(expected.shift() ?? Buffer.alloc(0))) {
          throw new Error(`unexpected ${event.kind} before the close answer`);
        }
      }
      await peer.expectTcpClosed();
    },
  },
  {
    id: '7.3.1',
    title: 'a close frame without payload is answered with no code or 1000',
    run: (peer) => peer.closeNormally(null, '', [null, 1000]),
  },
  failsWith('7.3.2', 'a close frame with a 1-byte payload fails the connection with 1002', { opcode: OP.close, payload: Buffer.from([0x03]) }, 1002),
  validCode('7.3.3', 1000, ' and no reason'),
  {
    id: '7.3.4',
    title: 'a close frame with 1000 and a reason is answered with 1000',
    run: (peer) => peer.closeNormally(1000, 'Hello World!', [1000]),
  },
  {
    id: '7.3.5',
    title: 'a close frame with a 123-byte reason (the largest that fits) is answered with 1000',
    run: (peer) => peer.closeNormally(1000, '*'.repeat(123), [1000]),
  },
  failsWith('7.3.6', 'a close frame with a 124-byte reason (126 bytes of payload) fails the connection with 1002 (§5.5)', close(1000, '*'.repeat(124)), 1002),
  failsWith(
    '7.5.1',
    'a close frame whose reason is not UTF-8 fails the connection with 1007',
    close(1000, Buffer.from('cebae1bdb9cf83cebcceb5eda080656469746564', 'hex')),
    1007,
  ),
  ...VALID_CODES.map((code, i) => validCode(`7.7.${i + 1}`, code)),
  ...[1012, 1013, 1014].map((code) => validCode('7.7', code, ' (registered with IANA after RFC 6455; beyond Autobahn)')),
  ...INVALID_CODES.map((code, i) => invalidCode(`7.9.${i + 1}`, code)),
  invalidCode('7.9', 1015, ' (reserved for TLS failures, never sent; beyond Autobahn)'),
  invalidCode('7.13.1', 5000, ' (informational in Autobahn: above the defined ranges)'),
  invalidCode('7.13.2', 65535, ' (informational in Autobahn: above the defined ranges)'),
];
