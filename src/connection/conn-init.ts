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
  /** Every limit resolved beforehand: when given, the `ConnLimits` fields of this object are not read. */
  limits?: ResolvedConnLimits;
}

/** Every limit of a connection, defaults filled in. */
export type ResolvedConnLimits = Readonly<Required<ConnLimits>>;

/**
 * The limits with their defaults filled in. An `Upgrader` (or `Dialer`) does this once for all its
 * connections and passes the result as `ConnInit.limits`, so a handshake copies no options.
 */
export function resolveConnLimits(limits: ConnLimits): ResolvedConnLimits {
  const pingInterval = limits.pingInterval ?? CONN_DEFAULTS.pingInterval;
  return {
    readLimit: limits.readLimit ?? CONN_DEFAULTS.readLimit,
    maxFragments: limits.maxFragments ?? CONN_DEFAULTS.maxFragments,
    readBufferSize: limits.readBufferSize ?? CONN_DEFAULTS.readBufferSize,
    writeBufferSize: limits.writeBufferSize ?? CONN_DEFAULTS.writeBufferSize,
    writeHighWaterMark: limits.writeHighWaterMark ?? CONN_DEFAULTS.writeHighWaterMark,
    closeTimeout: limits.closeTimeout ?? CONN_DEFAULTS.closeTimeout,
    pingInterval,
    pongTimeout: limits.pongTimeout ?? pingInterval,
    idleTimeout: limits.idleTimeout ?? CONN_DEFAULTS.idleTimeout,
  };
}

/** The connection's driver, with every limit the handshake left out at its default. */
export function driverFor(init: ConnInit): Driver {
  const { decompressor, compression } = setUpDeflate(init.role, init.deflate ?? null);
  return new Driver({
    role: init.role,
    transport: init.socket,
    abortTransport: init.abortTransport,
    limits: init.limits ?? resolveConnLimits(init),
    decompressor,
    compression,
  });
}
