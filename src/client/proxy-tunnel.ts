/**
 * A tunnel through an HTTP proxy (RFC 9110 §9.3.6): `CONNECT host:port`, then the bytes of the
 * WebSocket connection (TLS included, for wss:) flow through the proxy untouched.
 */
import { Buffer } from 'node:buffer';
import type { LookupFunction, Socket } from 'node:net';
import { authority } from './dial-url.js';
import { ProxyConnectError } from './dial-errors.js';
import type { DialSession } from './dial-session.js';
import { formatHeaderLines } from '../protocol/handshake.js';
import type { HeadLimits } from '../protocol/http-head.js';

/** The CONNECT request, with Basic credentials (RFC 7617) when the proxy URL has them. */
export function connectRequest(hostname: string, port: number, proxy: URL): Buffer {
  const target = authority(hostname, port);
  const lines: Array<[string, string]> = [['Host', target]];
  if (proxy.username !== '' || proxy.password !== '') {
    const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
    lines.push(['Proxy-Authorization', `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`]);
  }
  return Buffer.from(`CONNECT ${target} HTTP/1.1\r\n${formatHeaderLines(lines)}\r\n`, 'latin1');
}

/** Connects to the proxy and asks it for a tunnel to `hostname:port`; resolves with the tunnel. */
export async function openTunnel(
  session: DialSession,
  proxy: URL,
  hostname: string,
  port: number,
  limits: HeadLimits,
  lookup: LookupFunction | undefined,
): Promise<Socket> {
  const proxyHost = proxy.hostname.startsWith('[') ? proxy.hostname.slice(1, -1) : proxy.hostname;
  const socket = await session.connectTcp(proxyHost, proxy.port === '' ? 80 : Number(proxy.port), lookup);
  const { head, rest } = await session.request(socket, 'proxy', connectRequest(hostname, port, proxy), limits, {
    malformed: (err) => new ProxyConnectError(`websocket: malformed response from the proxy: ${err.message}`),
    closed: () => new ProxyConnectError('websocket: the proxy closed the connection before answering CONNECT'),
  });
  if (head.status < 200 || head.status > 299) {
    throw new ProxyConnectError(`websocket: the proxy refused the tunnel: ${head.status} ${head.reason}`.trim(), head.status, head.headers);
  }
  // Bytes after the proxy's answer already belong to the tunnel.
  if (rest.length > 0) socket.unshift(rest);
  return socket;
}
