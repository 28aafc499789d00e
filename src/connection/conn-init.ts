/**
 * From a finished opening handshake to a running connection: what the server or the client hands
 * over (`ConnInit`), completed with the defaults and the negotiated permessage-deflate, becomes
 * the settings of the connection's {@link Driver}.
 */
import type { Duplex } from 'node:stream';
import { CONN_DEFAULTS, type ConnLimits, type NegotiatedDeflate } from '../options.js';
import type { Role } from '../protocol/core.js';
import { setUpDeflate } from './deflate-setup.js';
import { Driver } from './driver.js';
import type { TransportKind } from './transport-info.js';

/** @internal How the server or client hands a transport to a new connection. */
export interface ConnInit extends ConnLimits {
  /** Which side of the connection this is: `'server'` or `'client'`. */
  role: Role;
  /** The transport: a `net.Socket`, a `tls.TLSSocket`, an HTTP/2 stream; any Node `Duplex`. */
  socket: Duplex;
  /** Bytes read past the handshake: the first WebSocket bytes. */
  head?: Buffer;
  subprotocol?: string;
  /** permessage-deflate, when it was negotiated. */
  deflate?: NegotiatedDeflate | null;
  /** Default `'http/1.1'`. */
  transport?: TransportKind;
  /** How to drop the transport; default `destroy()`. An HTTP/2 stream resets with CANCEL (RFC 8441 §5). */
  abortTransport?: () => void;
}

/** The connection's driver, with every limit the handshake left out at its default. */
export function driverFor(init: ConnInit): Driver {
  const pingInterval = init.pingInterval ?? CONN_DEFAULTS.pingInterval;
  const { decompressor, compression } = setUpDeflate(init.role, init.deflate ?? null);
  return new Driver({
    role: init.role,
    transport: init.socket,
    abortTransport: init.abortTransport,
    readLimit: init.readLimit ?? CONN_DEFAULTS.readLimit,
    maxFragments: init.maxFragments ?? CONN_DEFAULTS.maxFragments,
    readBufferSize: init.readBufferSize ?? CONN_DEFAULTS.readBufferSize,
    writeBufferSize: init.writeBufferSize ?? CONN_DEFAULTS.writeBufferSize,
    writeHighWaterMark: init.writeHighWaterMark ?? CONN_DEFAULTS.writeHighWaterMark,
    closeTimeout: init.closeTimeout ?? CONN_DEFAULTS.closeTimeout,
    pingInterval,
    pongTimeout: init.pongTimeout ?? pingInterval,
    idleTimeout: init.idleTimeout ?? CONN_DEFAULTS.idleTimeout,
    decompressor,
    compression,
  });
}
