/**
 * The client's side of extension negotiation (RFC 6455 §9): what the request offers and what the
 * server's answer must satisfy. This is the one place the dialer asks about extensions, so an
 * extension (permessage-deflate, RFC 7692) plugs in here: it adds its offer and checks its
 * parameters in the answer, and returns the settings the connection needs.
 */
import type { ConnInit } from './conn.js';
import type { ExtensionOffer } from './protocol/header-tokens.js';
import type { ResponseHead } from './protocol/http-head.js';

/** Connection settings that come out of the negotiation. */
export type NegotiatedSettings = Partial<Omit<ConnInit, 'role' | 'socket' | 'head' | 'subprotocol' | 'request'>>;

export interface ExtensionNegotiation {
  /** Sent in `Sec-WebSocket-Extensions`, in order of preference. */
  readonly offers: readonly ExtensionOffer[];
  /**
   * Checks the extensions the server accepted (already known to be among those offered, §9.1) and
   * returns the settings for the connection. Throws `BadHandshakeError` on an answer the
   * extension cannot use; the dial then fails (§4.1: the client must _Fail the WebSocket Connection_).
   */
  accept(accepted: readonly ExtensionOffer[], head: ResponseHead): NegotiatedSettings;
}

/**
 * Today the dialer offers no extension. `validateUpgradeResponse` has already refused any
 * extension the server accepted without an offer (§9.1), so there is nothing left to check.
 */
export function negotiateExtensions(): ExtensionNegotiation {
  return { offers: [], accept: () => ({}) };
}
