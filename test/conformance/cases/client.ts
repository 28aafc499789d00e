/**
 * What RFC 6455 asks of a client alone, beyond Autobahn's tables (its fuzzing server never sends
 * a masked frame): a masked frame from the server fails the connection with 1002 (§5.1), however it
 * is masked and wherever it comes; and after a clean close the client leaves the TCP close to the
 * server (§7.1.1), which the shared tables check only as far as one turn of the event loop shows.
 * Here the peer waits a while before it ends TCP, and the client must still be connected.
 */
import type { ConformanceCase } from '../harness/run-cases.js';
import { type FrameSpec, close, continuation, ping, text } from '../harness/wire.js';

/** How long the peer holds back its FIN; a client that closes first is seen within this on any machine. */
export const TCP_QUIET_MS = 200;

const failsWith1002 = (id: string, title: string, frames: readonly FrameSpec[], echoFirst?: string): ConformanceCase => ({
  id,
  title,
  async run(peer) {
    await peer.send(frames);
    if (echoFirst !== undefined) await peer.expectMessage('text', echoFirst);
    await peer.expectFailure(1002);
  },
});

export const maskedFrameCases: ConformanceCase[] = [
  failsWith1002('5.1', 'a masked text message from the server fails the connection with 1002', [{ ...text('Hello, world!'), masked: true }]),
  failsWith1002('5.1', 'a masked ping from the server fails the connection with 1002, unanswered', [{ ...ping('Hello'), masked: true }]),
  failsWith1002('5.1', 'a masked close frame from the server fails the connection with 1002, not answered with 1000', [{ ...close(1000), masked: true }]),
  failsWith1002('5.1', 'a text frame masked with the all-zero key (the payload reads the same) still fails with 1002', [
    { ...text('Hello, world!'), maskKey: Buffer.alloc(4) },
  ]),
  failsWith1002('5.1', 'a masked continuation inside a fragmented message fails with 1002', [text('fragment1', false), { ...continuation('fragment2'), masked: true }]),
  failsWith1002('5.1', 'a text message, then a masked one, then a ping: the echo, then 1002 and no pong', [text('Hello'), { ...text('Hello'), masked: true }, ping()], 'Hello'),
];

export const tcpCloseCases: ConformanceCase[] = [
  {
    id: '7.1.1',
    title: `after a clean close started by the server, the client keeps TCP open for the server to close (${TCP_QUIET_MS} ms), then follows its FIN`,
    async run(peer) {
      await peer.send(text('Hello World!'));
      await peer.expectMessage('text', 'Hello World!');
      await peer.send(close(1000));
      await peer.expectClose([1000]);
      await peer.expectQuiet(TCP_QUIET_MS);
      await peer.expectTcpClosed();
    },
  },
  {
    id: '7.3.1',
    title: `after a clean close with an empty close frame, the client keeps TCP open for the server to close (${TCP_QUIET_MS} ms)`,
    async run(peer) {
      await peer.send(close());
      await peer.expectClose([null, 1000]);
      await peer.expectQuiet(TCP_QUIET_MS);
      await peer.expectTcpClosed();
    },
  },
];

/**
 * For a client that sends "Hello" and then starts the closing handshake with 1000 "bye": its
 * message, its close frame, and after the answer it waits for the server's FIN (§7.1.1).
 */
export const clientClosesCases: ConformanceCase[] = [
  {
    id: '7.1',
    title: `a client that closes: its message, then its close frame; answered, it waits for the server to close TCP (${TCP_QUIET_MS} ms)`,
    async run(peer) {
      await peer.expectMessage('text', 'Hello');
      const event = await peer.expectClose([1000]);
      if (event.reason !== 'bye') throw new Error(`close reason ${JSON.stringify(event.reason)}, expected "bye"`);
      await peer.send(close(1000));
      await peer.expectQuiet(TCP_QUIET_MS);
      await peer.expectTcpClosed();
    },
  },
];
