/**
 * Facts about a connection's transport that only some transports have: TCP addresses (an HTTP/2
 * stream's are its session's socket's), and which kind of transport it is.
 */
import type { Duplex } from 'node:stream';

/** Which transport a connection runs over: HTTP/1.1 (an upgraded TCP or TLS connection) or an HTTP/2 stream (RFC 8441). */
export type TransportKind = 'http/1.1' | 'h2';

/** One end of the TCP connection, as `Conn.localAddress` and `Conn.remoteAddress` give it. */
export interface SocketAddress {
  /** The IP address, e.g. `127.0.0.1` or `::1`. */
  address: string;
  /** The TCP port. */
  port: number;
  /** `'IPv4'` or `'IPv6'`. */
  family: string;
}

/** The address of one end of `transport`, when it has one. */
export function addressOf(transport: Duplex, which: 'local' | 'remote'): SocketAddress | undefined {
  const s = transport as Partial<Record<'localAddress' | 'localPort' | 'localFamily' | 'remoteAddress' | 'remotePort' | 'remoteFamily', unknown>>;
  const address = s[`${which}Address`];
  const port = s[`${which}Port`];
  if (typeof address !== 'string' || typeof port !== 'number') return undefined;
  const family = s[`${which}Family`];
  return { address, port, family: typeof family === 'string' ? family : address.includes(':') ? 'IPv6' : 'IPv4' };
}
