/**
 * The client's side of extension negotiation (RFC 6455 §9): what the request offers and what the
 * server's answer must satisfy. This is the one place the dialer asks about extensions, so an
 * extension (permessage-deflate, RFC 7692) plugs in here: it adds its offer and checks its
 * parameters in the answer, and returns the settings the connection needs.
 */
import type { ConnInit } from '../connection/conn.js';
import type { PerMessageDeflateOptions } from '../options.js';
import { DeflateResponseError, acceptDeflateResponse, buildDeflateOffer } from '../protocol/deflate-negotiation.js';
import { BadHandshakeError } from '../protocol/errors.js';
import type { ExtensionOffer } from '../protocol/header-tokens.js';
import type { ResponseHead } from '../protocol/http-head.js';

/** Connection settings that come out of the negotiation. */
export type NegotiatedSettings = Pick<ConnInit, 'deflate'>;

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
 * The offers for this dial: permessage-deflate (RFC 7692) when `deflate` is set, nothing otherwise.
 * `validateUpgradeResponse` has already refused any extension accepted without an offer (§9.1).
 */
export function negotiateExtensions(deflate: PerMessageDeflateOptions | null): ExtensionNegotiation {
  if (deflate === null) return { offers: [], accept: () => ({}) };
  return {
    offers: [buildDeflateOffer(deflate)],
    accept(accepted, head) {
      if (accepted.length === 0) return {}; // declined: the connection goes on uncompressed
      // RFC 7692 §5.1: the server accepts at most one offer; a second element is an error.
      if (accepted.length > 1) throw refused('permessage-deflate accepted more than once', head);
      try {
        return { deflate: { params: acceptDeflateResponse(accepted[0]!, deflate), options: deflate } };
      } catch (err) {
        if (err instanceof DeflateResponseError) throw refused(err.message, head);
        throw err;
      }
    },
  };
}

function refused(message: string, head: ResponseHead): BadHandshakeError {
  return new BadHandshakeError(`websocket: bad handshake: ${message}`, head.status, head.headers);
}
