/**
 * Negotiating permessage-deflate (RFC 7692 §5, §7.1): the client offers, the server accepts at most
 * one offer and answers with the parameters both will use. Pure: header elements in, agreement out.
 *
 * The four parameters, each at most once per offer:
 * - server_no_context_takeover: the server resets its compressor after every message;
 * - client_no_context_takeover: the client resets its compressor after every message;
 * - server_max_window_bits=N (8..15): the server compresses with at most 2^N bytes of window;
 * - client_max_window_bits[=N]: in an offer, that the client supports the parameter (with a value:
 *   its own limit); in a response, the window the client must stay within.
 */
import { WebSocketError } from './errors.js';
import type { ExtensionOffer } from './header-tokens.js';

/** The extension's name in `Sec-WebSocket-Extensions` (RFC 7692 §7). */
export const PERMESSAGE_DEFLATE = 'permessage-deflate';

/** What one side wants from the negotiation. */
export interface DeflateNegotiationOptions {
  /** Server: always reset the server's compressor (less memory); client: ask the server to. */
  serverNoContextTakeover?: boolean;
  /** Server: make the client reset its compressor; client: reset our own, and say so. */
  clientNoContextTakeover?: boolean;
  /** The largest window the server may compress with (8..15). */
  serverMaxWindowBits?: number;
  /** The largest window the client may compress with (8..15). */
  clientMaxWindowBits?: number;
}

/** The agreement: how each direction compresses. */
export interface DeflateParams {
  /** The server resets its compressor after each message. */
  serverNoContextTakeover: boolean;
  /** The client resets its compressor after each message. */
  clientNoContextTakeover: boolean;
  /** The server compresses with a window of at most 2^N bytes (8..15). */
  serverMaxWindowBits: number;
  /** The client compresses with a window of at most 2^N bytes (8..15). */
  clientMaxWindowBits: number;
}

type ParsedParams = {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number | undefined;
  /** `true` when present without a value (only valid in an offer). */
  clientMaxWindowBits: number | true | undefined;
};

/** Parses the parameters of one element; null for an unknown, repeated or invalid parameter (§7.1). */
function parseParams(params: ExtensionOffer['params']): ParsedParams | null {
  const seen = new Set<string>();
  const out: ParsedParams = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: undefined,
    clientMaxWindowBits: undefined,
  };
  for (const [name, value] of params) {
    if (seen.has(name)) return null;
    seen.add(name);
    switch (name) {
      case 'server_no_context_takeover':
        if (value !== true) return null;
        out.serverNoContextTakeover = true;
        break;
      case 'client_no_context_takeover':
        if (value !== true) return null;
        out.clientNoContextTakeover = true;
        break;
      case 'server_max_window_bits': {
        const bits = windowBits(value);
        if (bits === null) return null;
        out.serverMaxWindowBits = bits;
        break;
      }
      case 'client_max_window_bits': {
        if (value === true) {
          out.clientMaxWindowBits = true;
          break;
        }
        const bits = windowBits(value);
        if (bits === null) return null;
        out.clientMaxWindowBits = bits;
        break;
      }
      default:
        return null;
    }
  }
  return out;
}

/** §7.1.2: a window size is a decimal 8..15 with no leading zeros. */
function windowBits(value: string | true): number | null {
  if (value === true || !/^(8|9|1[0-5])$/.test(value)) return null;
  return Number(value);
}

function assertBits(bits: number | undefined, name: string): void {
  if (bits !== undefined && !(Number.isInteger(bits) && bits >= 8 && bits <= 15)) {
    throw new RangeError(`${name} must be an integer from 8 to 15`);
  }
}

/** Checks the caller's options; throws a RangeError for a window size out of 8..15. */
export function checkDeflateOptions(options: DeflateNegotiationOptions): void {
  assertBits(options.serverMaxWindowBits, 'serverMaxWindowBits');
  assertBits(options.clientMaxWindowBits, 'clientMaxWindowBits');
}

/**
 * Server side: picks the first acceptable permessage-deflate offer (§5.1) and builds the response.
 * Invalid offers (unknown, repeated or malformed parameters) are declined, not fatal (§7.1).
 * Returns null when no offer is acceptable: the connection proceeds without compression.
 */
export function acceptDeflateOffer(
  offers: readonly ExtensionOffer[],
  options: DeflateNegotiationOptions = {},
): {
  /** The `Sec-WebSocket-Extensions` element to answer with. */
  response: ExtensionOffer;
  /** What both sides will use. */
  params: DeflateParams;
} | null {
  for (const offer of offers) {
    if (offer.name !== PERMESSAGE_DEFLATE) continue;
    const asked = parseParams(offer.params);
    if (asked === null) continue;
    const response: ExtensionOffer = { name: PERMESSAGE_DEFLATE, params: [] };
    const params: DeflateParams = {
      serverNoContextTakeover: asked.serverNoContextTakeover || options.serverNoContextTakeover === true,
      clientNoContextTakeover: asked.clientNoContextTakeover || options.clientNoContextTakeover === true,
      serverMaxWindowBits: Math.min(asked.serverMaxWindowBits ?? 15, options.serverMaxWindowBits ?? 15),
      clientMaxWindowBits: 15,
    };
    // §7.1.1: a server may add either no_context_takeover parameter on its own.
    if (params.serverNoContextTakeover) response.params.push(['server_no_context_takeover', true]);
    if (params.clientNoContextTakeover) response.params.push(['client_no_context_takeover', true]);
    // §7.1.2.1: answer server_max_window_bits only when offered, with a value no larger.
    if (asked.serverMaxWindowBits !== undefined) response.params.push(['server_max_window_bits', String(params.serverMaxWindowBits)]);
    // §7.1.2.2: limit the client's window only if it said it can be limited.
    if (asked.clientMaxWindowBits !== undefined) {
      const offered = asked.clientMaxWindowBits === true ? 15 : asked.clientMaxWindowBits;
      params.clientMaxWindowBits = Math.min(offered, options.clientMaxWindowBits ?? 15);
      if (options.clientMaxWindowBits !== undefined || asked.clientMaxWindowBits !== true) {
        response.params.push(['client_max_window_bits', String(params.clientMaxWindowBits)]);
      }
    }
    return { response, params };
  }
  return null;
}

/** Client side: the offer to send, built from the client's options. */
export function buildDeflateOffer(options: DeflateNegotiationOptions = {}): ExtensionOffer {
  checkDeflateOptions(options);
  const params: ExtensionOffer['params'] = [];
  if (options.serverNoContextTakeover) params.push(['server_no_context_takeover', true]);
  if (options.clientNoContextTakeover) params.push(['client_no_context_takeover', true]);
  if (options.serverMaxWindowBits !== undefined) params.push(['server_max_window_bits', String(options.serverMaxWindowBits)]);
  // Announce that the server may limit our window, with our own limit when we have one.
  params.push(['client_max_window_bits', options.clientMaxWindowBits === undefined ? true : String(options.clientMaxWindowBits)]);
  return { name: PERMESSAGE_DEFLATE, params };
}

/** The server's answer broke §7.1; the client must fail the connection. */
export class DeflateResponseError extends WebSocketError {
  /** Always `'DeflateResponseError'`. */
  override name = 'DeflateResponseError';
}

/**
 * Client side: checks the server's permessage-deflate response against what was offered with
 * {@link buildDeflateOffer} and returns the agreement. Throws {@link DeflateResponseError}.
 */
export function acceptDeflateResponse(response: ExtensionOffer, offered: DeflateNegotiationOptions = {}): DeflateParams {
  if (response.name !== PERMESSAGE_DEFLATE) throw new DeflateResponseError(`unexpected extension ${response.name}`);
  const got = parseParams(response.params);
  if (got === null) throw new DeflateResponseError('invalid permessage-deflate parameters in the response');
  if (got.clientMaxWindowBits === true) throw new DeflateResponseError('client_max_window_bits needs a value in a response');
  // §7.1.2.1: no larger than offered. Unasked, a server MAY still limit its own window; inflating
  // with a window that large (or larger) reads what it sends.
  if (got.serverMaxWindowBits !== undefined && offered.serverMaxWindowBits !== undefined && got.serverMaxWindowBits > offered.serverMaxWindowBits) {
    throw new DeflateResponseError('server_max_window_bits larger than offered');
  }
  if (got.clientMaxWindowBits !== undefined && offered.clientMaxWindowBits !== undefined && got.clientMaxWindowBits > offered.clientMaxWindowBits) {
    throw new DeflateResponseError('client_max_window_bits larger than offered');
  }
  // §7.1.1.1: a server accepting our request for server_no_context_takeover must say so.
  if (offered.serverNoContextTakeover && !got.serverNoContextTakeover) {
    throw new DeflateResponseError('server_no_context_takeover was requested but not granted');
  }
  return {
    serverNoContextTakeover: got.serverNoContextTakeover,
    clientNoContextTakeover: got.clientNoContextTakeover || offered.clientNoContextTakeover === true,
    serverMaxWindowBits: got.serverMaxWindowBits ?? 15,
    clientMaxWindowBits: got.clientMaxWindowBits ?? offered.clientMaxWindowBits ?? 15,
  };
}
