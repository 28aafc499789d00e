/**
 * Connect mode over HTTP/2 (`--http2`): the WebSocket is one stream of an h2 session (RFC 8441),
 * so there is no byte stream of its own for the relay to show. The dialer connects directly; the
 * inspector prints the transport, the extended CONNECT's answer, and every frame of the stream in
 * both directions, read from copies of what the connection reads and writes.
 */
import type { Duplex } from 'node:stream';
import { type Conn, Dialer } from '../../src/index.js';
import type { ConnectOptions, Traced } from './connect.js';
import { FrameStream } from './frame-stream.js';
import { OrderedOutput } from './ordered-output.js';
import { quote } from './preview.js';

export async function traceConnectHttp2(options: ConnectOptions, afterOpen: (conn: Conn) => void): Promise<Traced> {
  const dialer = new Dialer({
    http2: true,
    subprotocols: options.subprotocols ?? [],
    enableCompression: options.compression === true,
    ...(options.insecure === true ? { tls: { rejectUnauthorized: false } } : {}),
    ...(options.origin !== undefined ? { origin: options.origin } : {}),
  });
  const { conn, response } = await dialer.dial(options.url);
  const out = new OrderedOutput(options.print);
  out.line(`transport: ${conn.transport} (one stream of an HTTP/2 session, RFC 8441)`);
  out.line(`← :status ${response.status}`);
  for (const [name, value] of response.headers) out.line(`← ${name}: ${value}`);
  out.line(conn.compression === null ? 'upgraded: no compression' : 'upgraded: permessage-deflate');
  const common = { previewBytes: options.previewBytes, deflate: conn.compression !== null, out };
  tap(conn.underlyingSocket, new FrameStream({ ...common, from: 'client' }), new FrameStream({ ...common, from: 'server' }));
  afterOpen(conn);
  const done = conn.closed.then((info) => {
    options.print(`closed: code=${info.code} reason=${quote(info.reason)} clean=${info.wasClean}`);
    return info;
  });
  return { conn, done };
}

/** Shows copies of the stream's bytes: what the connection writes (client) and reads (server). */
function tap(stream: Duplex, fromClient: FrameStream, fromServer: FrameStream): void {
  stream.on('data', (chunk: Buffer) => fromServer.push(Buffer.from(chunk)));
  const write = stream.write.bind(stream) as (chunk: Buffer, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: Buffer, ...rest: unknown[]) => {
    fromClient.push(Buffer.from(chunk));
    return write(chunk, ...rest);
  }) as typeof stream.write;
}
