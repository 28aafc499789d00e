/**
 * An HTTP/2 stream as the transport of a `Conn` (RFC 8441 §5, §6). The connection ends its
 * transport to close cleanly (END_STREAM on a stream) and aborts it to fail; on a stream, the abort
 * is a reset with CANCEL (`abortStream`, handed to the connection as `abortTransport`), where
 * Node's own `destroy()` would reset with NO_ERROR. The adapter also lends the stream its session's
 * addresses, so `conn.remoteAddress` works over both transports, and stops waiting for a peer that
 * keeps its half of the stream open after the closing handshake.
 */
import { type Http2Stream, constants } from 'node:http2';
import type { Duplex } from 'node:stream';

const ADDRESS_FIELDS = ['localAddress', 'localPort', 'localFamily', 'remoteAddress', 'remotePort', 'remoteFamily'] as const;

/** What a `Conn` needs to run over `stream`: the stream itself, its kind, and how to abort it. */
export interface StreamTransport {
  socket: Duplex;
  transport: 'h2';
  abortTransport: () => void;
}

/** Turns a stream whose response has been sent (server) or received (client) into a Conn transport. */
export function streamTransport(stream: Http2Stream): StreamTransport {
  // The connection ends its side only when nothing more is to be read (both close frames, or a
  // failure). Once our END_STREAM is out, a peer that keeps its half open (undici 7 does) is told
  // with RST_STREAM NO_ERROR that the stream is done, as a server does after a complete response
  // (RFC 9113 §8.1), instead of holding the stream until the close timeout.
  stream.once('finish', closeIfPeerLingers);
  for (const field of ADDRESS_FIELDS) {
    Object.defineProperty(stream, field, {
      configurable: true,
      enumerable: false,
      get(this: Http2Stream): unknown {
        return (this.session?.socket as unknown as Record<string, unknown> | undefined)?.[field];
      },
    });
  }
  return { socket: stream, transport: 'h2', abortTransport: () => abortStream(stream) };
}

/**
 * RFC 8441 §6: where RFC 6455 drops the TCP connection, the stream is reset with CANCEL; the
 * session and its other streams live on.
 */
export function abortStream(stream: Http2Stream): void {
  if (!stream.closed && !stream.destroyed && stream.session !== undefined && !stream.session.destroyed) {
    stream.close(constants.NGHTTP2_CANCEL);
  }
  stream.destroy();
}

function closeIfPeerLingers(this: Http2Stream): void {
  if (!this.readableEnded && !this.closed && !this.destroyed) this.close(constants.NGHTTP2_NO_ERROR);
}
