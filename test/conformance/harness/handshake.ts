/**
 * The opening handshake (RFC 6455 §4) as the conformance peer does it, in either role, with the
 * permessage-deflate negotiation (RFC 7692 §5) when a case asks for it. Each side checks what the
 * testee sends and refuses the connection (the case fails) on anything wrong.
 */
import { createHash, randomBytes } from 'node:crypto';
import { type Socket, connect } from 'node:net';
import {
  type DeflateAccept,
  type DeflateOffer,
  agreementFromResponse,
  agreementOf,
  formatOffers,
  formatResponse,
  offersFromRequest,
} from './deflate.js';
import { Peer, type PeerOptions } from './peer.js';

/** §1.3: the GUID the accept key is derived with. */
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

const acceptKey = (key: string): string => createHash('sha1').update(key + GUID).digest('base64');

/** How the peer negotiates permessage-deflate in one case. */
export interface HandshakeSpec {
  /** The peer as client: the offers it sends, in order (none: it offers nothing). */
  offers?: readonly DeflateOffer[];
  /** The peer as server: how it answers the client's offers (none: it declines). */
  accept?: DeflateAccept;
}

/** Header names in lower case; a header sent more than once is joined with commas (RFC 9110 §5.3). */
export type Headers = Map<string, string>;

/**
 * Connects to a WebSocket server and completes the opening handshake (§4.1), checking the answer
 * and, when permessage-deflate was offered, what it agrees to.
 */
export async function openClientPeer(port: number, spec: HandshakeSpec = {}): Promise<Peer> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const offers = spec.offers ?? [];
  const key = randomBytes(16).toString('base64');
  socket.write(
    `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n` +
      (offers.length > 0 ? `Sec-WebSocket-Extensions: ${formatOffers(offers)}\r\n` : '') +
      '\r\n',
  );
  const { head, rest } = await readHead(socket);
  const [status, ...lines] = head.split('\r\n');
  const headers = parseHeaderLines(lines);
  const deflate = agreementFromResponse(headers.get('sec-websocket-extensions'), offers);
  const problem =
    !/^HTTP\/1\.1 101 /.test(status ?? '') ? 'status is not 101'
    : headers.get('upgrade')?.toLowerCase() !== 'websocket' ? 'Upgrade is not websocket'
    : !/\bupgrade\b/i.test(headers.get('connection') ?? '') ? 'Connection does not list Upgrade'
    : headers.get('sec-websocket-accept') !== acceptKey(key) ? 'Sec-WebSocket-Accept is wrong'
    : typeof deflate === 'string' ? deflate
    : null;
  if (problem !== null) {
    socket.destroy();
    throw new Error(`opening handshake refused (${problem}):\n${head}`);
  }
  const peer = new Peer('client', socket, rest, { deflate: deflate as Exclude<typeof deflate, string> });
  socket.resume(); // paused by readHead until the peer listens
  return peer;
}

/** A client's opening handshake, read and checked (§4.2.1), not yet answered. */
export interface ClientRequest {
  socket: Socket;
  /** The request-target, e.g. `/runCase?case=1&agent=rfc6455`. */
  target: string;
  headers: Headers;
  /** Bytes that came after the head. */
  rest: Buffer;
}

/** Reads a client's opening handshake on `socket` and checks it (§4.2.1). */
export async function readRequest(socket: Socket): Promise<ClientRequest> {
  const { head, rest } = await readHead(socket);
  const [requestLine, ...lines] = head.split('\r\n');
  const headers = parseHeaderLines(lines);
  const target = /^GET (\S+) HTTP\/1\.1$/.exec(requestLine ?? '')?.[1];
  const problem =
    target === undefined ? 'not a GET with HTTP/1.1'
    : headers.get('upgrade')?.toLowerCase() !== 'websocket' ? 'Upgrade is not websocket'
    : !/\bupgrade\b/i.test(headers.get('connection') ?? '') ? 'Connection does not list Upgrade'
    : headers.get('sec-websocket-version') !== '13' ? 'Sec-WebSocket-Version is not 13'
    : Buffer.from(headers.get('sec-websocket-key') ?? '', 'base64').length !== 16 ? 'Sec-WebSocket-Key is not 16 bytes in base64'
    : null;
  if (problem !== null) {
    socket.destroy();
    throw new Error(`the client's opening handshake is wrong (${problem}):\n${head}`);
  }
  return { socket, target: target!, headers, rest };
}

/**
 * Accepts a client's opening handshake (§4.2.2), answering its permessage-deflate offers as
 * `spec.accept` says, and returns the peer, as server, at this end of the connection.
 */
export function acceptRequest(request: ClientRequest, spec: HandshakeSpec = {}, options: Pick<PeerOptions, 'clientMayCloseTcpFirst'> = {}): Peer {
  const { socket, headers } = request;
  const offers = offersFromRequest(headers.get('sec-websocket-extensions'));
  if (typeof offers === 'string') {
    socket.destroy();
    throw new Error(`the client's opening handshake is wrong (${offers})`);
  }
  const response = spec.accept?.(offers) ?? null;
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Accept: ${acceptKey(headers.get('sec-websocket-key')!)}\r\n` +
      (response === null ? '' : `Sec-WebSocket-Extensions: ${formatResponse(response)}\r\n`) +
      '\r\n',
  );
  const deflate = response === null ? null : agreementOf(response, offers);
  const peer = new Peer('server', socket, request.rest, { ...options, deflate });
  socket.resume();
  return peer;
}

/** An HTTP head (up to the blank line) and the bytes after it, leaving the socket paused. */
function readHead(socket: Socket): Promise<{ head: string; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) {
        if (received.length > 16 * 1024) fail(new Error('HTTP head too long'));
        return;
      }
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', fail);
      socket.pause();
      resolve({ head: received.subarray(0, end).toString('latin1'), rest: received.subarray(end + 4) });
    };
    const onEnd = (): void => fail(new Error(`connection ended during the handshake: ${received.toString('latin1')}`));
    const fail = (err: Error): void => {
      socket.off('data', onData);
      socket.destroy();
      reject(err);
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('error', fail);
  });
}

function parseHeaderLines(lines: readonly string[]): Headers {
  const headers: Headers = new Map();
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const earlier = headers.get(name);
    headers.set(name, earlier === undefined ? value : `${earlier}, ${value}`);
  }
  return headers;
}
