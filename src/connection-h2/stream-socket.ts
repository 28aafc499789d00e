/**
 * An HTTP/2 stream as the socket of a `Conn` (RFC 8441 §5, §6). `Conn` ends its socket to close
 * cleanly and destroys it to fail the connection; on an `Http2Stream`, `end()` already sends
 * END_STREAM, but `destroy()` resets the stream with NO_ERROR where RFC 8441 §6 asks for CANCEL.
 * This adapter fixes that on the stream itself (no wrapper, no copy) and lends the stream the
 * session's addresses, so `conn.remoteAddress` works over both transports.
 *
 * Until the connection layer has a transport hook, `transportOf(conn)` says which one a
 * connection uses.
 */
import { type Http2Stream, constants } from 'node:http2';
import type { Duplex } from 'node:stream';

/** How a WebSocket travels: its own TCP connection (RFC 6455) or one HTTP/2 stream (RFC 8441). */
export type Transport = 'http/1.1' | 'h2';

const adapted = new WeakSet<Duplex>();

const ADDRESS_FIELDS = ['localAddress', 'localPort', 'localFamily', 'remoteAddress', 'remotePort', 'remoteFamily'] as const;

/** Turns a stream whose response has been sent (server) or received (client) into a Conn socket. */
export function streamSocket(stream: Http2Stream): Duplex {
  const destroy = stream.destroy;
  // RFC 8441 §6: where RFC 6455 drops the TCP connection, the stream is reset with CANCEL; the
  // session and its other streams live on. Node's own destroy() would reset with NO_ERROR.
  stream.destroy = function destroyWithCancel(this: Http2Stream, error?: Error): Http2Stream {
    if (error === undefined && !this.closed && !this.destroyed && this.session !== undefined && !this.session.destroyed) {
      this.close(constants.NGHTTP2_CANCEL);
    }
    return destroy.call(this, error);
  };
  // Conn ends its side only when nothing more is to be read (both close frames, or a failure).
  // Once our END_STREAM is out, a peer that keeps its half open (undici 7 does) is told with
  // RST_STREAM NO_ERROR that the stream is done, as a server does after a complete response
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
  adapted.add(stream);
  return stream;
}

function closeIfPeerLingers(this: Http2Stream): void {
  if (!this.readableEnded && !this.closed && !this.destroyed) this.close(constants.NGHTTP2_NO_ERROR);
}

/** Which transport a connection uses, from its socket. */
export function transportOfSocket(socket: Duplex): Transport {
  return adapted.has(socket) ? 'h2' : 'http/1.1';
}

/**
 * Which transport a connection uses: `'h2'` for a WebSocket carried by an HTTP/2 stream,
 * `'http/1.1'` for one on its own connection. Everything else about the two is the same.
 */
export function transportOf(conn: { readonly underlyingSocket: Duplex }): Transport {
  return transportOfSocket(conn.underlyingSocket);
}
