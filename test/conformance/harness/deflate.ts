/**
 * permessage-deflate (RFC 7692) for the conformance peer, written for it alone: it shares no code
 * with `src/`, so the suite does not judge the library's negotiation with the library's own rules.
 *
 * - Negotiation: the offers the peer sends as a client (Autobahn's `PerMessageDeflateOffer`), the
 *   answers it gives as a server (Autobahn's `accept1` … `accept7`), and the checks it makes of the
 *   testee's offer or answer (§7.1). Both sides end with a {@link DeflateAgreement}.
 * - Data: {@link PeerCodec} compresses what the peer sends and inflates what it receives, each
 *   direction with the window and context takeover agreed. A direction without context takeover is
 *   inflated by a fresh zlib stream per message, so a testee that refers back into an earlier
 *   message, having agreed not to, fails to inflate instead of passing unnoticed.
 */
import { type DeflateRaw, type InflateRaw, constants, createDeflateRaw, createInflateRaw } from 'node:zlib';

/** What both ends use, named as in RFC 7692 §7.1: the server's direction and the client's. */
export interface DeflateAgreement {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number;
  clientMaxWindowBits: number;
}

/** One permessage-deflate offer from a client (§7.1). */
export interface DeflateOffer {
  serverNoContextTakeover: boolean;
  /** A hint in an offer (§7.1.1.2): the client will not use context takeover anyway. */
  clientNoContextTakeover: boolean;
  serverMaxWindowBits?: number;
  /** `true`: the parameter without a value, "you may limit my window" (§7.1.2.2). */
  clientMaxWindowBits?: number | true;
}

/** A server's answer to one offer. */
export interface DeflateResponse {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits?: number;
  clientMaxWindowBits?: number;
}

/** The peer as a server: picks an offer and answers it, or declines them all (null). */
export type DeflateAccept = (offers: readonly DeflateOffer[]) => DeflateResponse | null;

type Param = [name: string, value: string | true];
interface Element {
  name: string;
  params: Param[];
}

const NAME = 'permessage-deflate';
const PARAMS = ['server_no_context_takeover', 'client_no_context_takeover', 'server_max_window_bits', 'client_max_window_bits'];

// ---------------------------------------------------------------- header syntax (RFC 6455 §9.1)

/** Splits a `Sec-WebSocket-Extensions` value into elements; values may be quoted (§9.1). */
function parseElements(header: string): Element[] {
  return header
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '')
    .map((e) => {
      const [name, ...params] = e.split(';').map((p) => p.trim());
      return {
        name: name!.toLowerCase(),
        params: params.map((p): Param => {
          const eq = p.indexOf('=');
          if (eq < 0) return [p.toLowerCase(), true];
          return [p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1')];
        }),
      };
    });
}

/** §7.1.2.1, §7.1.2.2: a window size is 8 to 15, in decimal without leading zeros. */
function windowBits(value: string | true): number | null {
  return value !== true && /^(8|9|1[0-5])$/.test(value) ? Number(value) : null;
}

/** The parameters of one element, or why they break §7.1 (unknown, repeated, bad value). */
function readParams(element: Element): Map<string, string | true> | string {
  const seen = new Map<string, string | true>();
  for (const [name, value] of element.params) {
    if (!PARAMS.includes(name)) return `unknown parameter ${name}`;
    if (seen.has(name)) return `${name} repeated`;
    if (name.endsWith('no_context_takeover') && value !== true) return `${name} with a value`;
    if (name.endsWith('max_window_bits') && value !== true && windowBits(value) === null) return `${name}=${value} out of 8..15`;
    seen.set(name, value);
  }
  return seen;
}

// ---------------------------------------------------------------- the peer as client

/**
 * Autobahn's `PerMessageDeflateOffer(requestNoContextTakeover, requestMaxWindowBits)`: it always
 * hints client_no_context_takeover and lets the server limit its window (client_max_window_bits
 * without a value), and asks for server_no_context_takeover and server_max_window_bits=N when told.
 */
export function autobahnOffer(requestNoContextTakeover = false, requestMaxWindowBits = 0): DeflateOffer {
  return {
    clientNoContextTakeover: true,
    clientMaxWindowBits: true,
    serverNoContextTakeover: requestNoContextTakeover,
    ...(requestMaxWindowBits === 0 ? {} : { serverMaxWindowBits: requestMaxWindowBits }),
  };
}

/** The header value of a list of offers, parameters in Autobahn's order. */
export function formatOffers(offers: readonly DeflateOffer[]): string {
  return offers
    .map((o) => {
      const params = [NAME];
      if (o.clientNoContextTakeover) params.push('client_no_context_takeover');
      if (o.clientMaxWindowBits !== undefined) params.push(o.clientMaxWindowBits === true ? 'client_max_window_bits' : `client_max_window_bits=${o.clientMaxWindowBits}`);
      if (o.serverNoContextTakeover) params.push('server_no_context_takeover');
      if (o.serverMaxWindowBits !== undefined) params.push(`server_max_window_bits=${o.serverMaxWindowBits}`);
      return params.join('; ');
    })
    .join(', ');
}

/**
 * Checks a server's answer (the `Sec-WebSocket-Extensions` value, or undefined) to `offers` and
 * returns what was agreed: null when the server declined, a string saying what is wrong when the
 * answer breaks RFC 6455 §9.1 or RFC 7692 §7.1 for every offer it could be accepting.
 */
export function agreementFromResponse(header: string | undefined, offers: readonly DeflateOffer[]): DeflateAgreement | null | string {
  if (header === undefined) return null;
  const elements = parseElements(header);
  if (elements.length === 0) return null;
  if (offers.length === 0) return `an extension was accepted that was not offered: ${header}`;
  if (elements.length > 1 || elements[0]!.name !== NAME) return `the answer must be one permessage-deflate element (§5.1): ${header}`;
  const params = readParams(elements[0]!);
  if (typeof params === 'string') return `invalid answer (${params}): ${header}`;
  const bits = (name: string): number | undefined => {
    const value = params.get(name);
    return value === undefined ? undefined : (windowBits(value) ?? undefined);
  };
  if (params.get('client_max_window_bits') === true) return `client_max_window_bits needs a value in an answer (§7.1.2.2): ${header}`;
  if (params.get('server_max_window_bits') === true) return `server_max_window_bits needs a value (§7.1.2.1): ${header}`;
  const problems: string[] = [];
  for (const offer of offers) {
    const problem =
      // §7.1.1.1: accepting server_no_context_takeover means answering with it.
      offer.serverNoContextTakeover && !params.has('server_no_context_takeover') ? 'server_no_context_takeover was asked for but not answered'
      // §7.1.2.1: accepting server_max_window_bits means answering with the same or a smaller value.
      : offer.serverMaxWindowBits !== undefined && (bits('server_max_window_bits') ?? 16) > offer.serverMaxWindowBits ? 'server_max_window_bits missing or larger than offered'
      // §7.1.2.2: only when offered, and no larger than a value offered.
      : params.has('client_max_window_bits') && offer.clientMaxWindowBits === undefined ? 'client_max_window_bits that was not offered'
      : typeof offer.clientMaxWindowBits === 'number' && (bits('client_max_window_bits') ?? 0) > offer.clientMaxWindowBits ? 'client_max_window_bits larger than offered'
      : null;
    if (problem === null) {
      return {
        serverNoContextTakeover: params.has('server_no_context_takeover'),
        // A client that hinted client_no_context_takeover keeps to it even if the answer does not say so.
        clientNoContextTakeover: params.has('client_no_context_takeover') || offer.clientNoContextTakeover,
        serverMaxWindowBits: bits('server_max_window_bits') ?? 15,
        clientMaxWindowBits: bits('client_max_window_bits') ?? (typeof offer.clientMaxWindowBits === 'number' ? offer.clientMaxWindowBits : 15),
      };
    }
    problems.push(problem);
  }
  return `the answer accepts none of the offers (${problems.join('; ')}): ${header}`;
}

// ---------------------------------------------------------------- the peer as server

/**
 * The permessage-deflate offers of a client's request (the `Sec-WebSocket-Extensions` values),
 * in order, or what is wrong with one of them. Other extensions are left out.
 */
export function offersFromRequest(header: string | undefined): DeflateOffer[] | string {
  const offers: DeflateOffer[] = [];
  for (const element of parseElements(header ?? '')) {
    if (element.name !== NAME) continue;
    const params = readParams(element);
    if (typeof params === 'string') return `invalid permessage-deflate offer (${params}): ${header}`;
    const server = params.get('server_max_window_bits');
    if (server === true) return `server_max_window_bits needs a value (§7.1.2.1): ${header}`;
    const client = params.get('client_max_window_bits');
    offers.push({
      serverNoContextTakeover: params.has('server_no_context_takeover'),
      clientNoContextTakeover: params.has('client_no_context_takeover'),
      ...(server === undefined ? {} : { serverMaxWindowBits: windowBits(server)! }),
      ...(client === undefined ? {} : { clientMaxWindowBits: client === true ? true : windowBits(client)! }),
    });
  }
  return offers;
}

/**
 * Autobahn's server-side accept functions: take the first offer that allows what this server asks
 * of the client, grant what the offer asks of the server, and ask the client for no context
 * takeover and a window limit when told. `clientMaxWindowBits` needs an offer that has the
 * parameter (§7.1.2.2); without one, that offer is passed over.
 */
export function acceptFirst(ask: { clientNoContextTakeover?: boolean; clientMaxWindowBits?: number } = {}): DeflateAccept {
  return (offers) => {
    const offer = offers.find((o) => ask.clientMaxWindowBits === undefined || o.clientMaxWindowBits !== undefined);
    if (offer === undefined) return null;
    const offeredClientBits = typeof offer.clientMaxWindowBits === 'number' ? offer.clientMaxWindowBits : 15;
    return {
      serverNoContextTakeover: offer.serverNoContextTakeover,
      clientNoContextTakeover: ask.clientNoContextTakeover === true,
      ...(offer.serverMaxWindowBits === undefined ? {} : { serverMaxWindowBits: offer.serverMaxWindowBits }),
      ...(ask.clientMaxWindowBits === undefined ? {} : { clientMaxWindowBits: Math.min(ask.clientMaxWindowBits, offeredClientBits) }),
    };
  };
}

/** Autobahn's `accept7`: the first of several accept functions that accepts. */
export function firstAccepting(...accepts: DeflateAccept[]): DeflateAccept {
  return (offers) => {
    for (const accept of accepts) {
      const response = accept(offers);
      if (response !== null) return response;
    }
    return null;
  };
}

/** The header value of an answer, in Autobahn's order. */
export function formatResponse(r: DeflateResponse): string {
  const params = [NAME];
  if (r.serverNoContextTakeover) params.push('server_no_context_takeover');
  if (r.serverMaxWindowBits !== undefined) params.push(`server_max_window_bits=${r.serverMaxWindowBits}`);
  if (r.clientNoContextTakeover) params.push('client_no_context_takeover');
  if (r.clientMaxWindowBits !== undefined) params.push(`client_max_window_bits=${r.clientMaxWindowBits}`);
  return params.join('; ');
}

/** What an answer agrees to; a client's hint of client_no_context_takeover binds it anyway. */
export function agreementOf(r: DeflateResponse, offers: readonly DeflateOffer[]): DeflateAgreement {
  const hinted = offers.some((o) => o.clientNoContextTakeover);
  return {
    serverNoContextTakeover: r.serverNoContextTakeover,
    clientNoContextTakeover: r.clientNoContextTakeover || hinted,
    serverMaxWindowBits: r.serverMaxWindowBits ?? 15,
    clientMaxWindowBits: r.clientMaxWindowBits ?? 15,
  };
}

// ---------------------------------------------------------------- data (§7.2)

/** §7.2.1: the end of a sync flush, removed by the sender and appended by the receiver (§7.2.2). */
const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** Writes `data` to a zlib stream, sync-flushes, and resolves with what came out. */
function flushThrough(stream: DeflateRaw | InflateRaw, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer): void => void chunks.push(chunk);
    const onError = (err: Error): void => {
      stream.off('data', onData);
      reject(err);
    };
    stream.on('data', onData);
    stream.once('error', onError);
    stream.write(data);
    stream.flush(constants.Z_SYNC_FLUSH, () => {
      stream.off('data', onData);
      stream.off('error', onError);
      resolve(Buffer.concat(chunks));
    });
  });
}

/** Compresses the peer's messages and inflates the testee's, in the directions of its role. */
export class PeerCodec {
  private readonly sendBits: number;
  private readonly sendReset: boolean;
  private readonly receiveBits: number;
  private readonly receiveReset: boolean;
  private deflater: DeflateRaw | null = null;
  private inflater: InflateRaw | null = null;

  constructor(agreement: DeflateAgreement, role: 'client' | 'server') {
    const own = role === 'client' ? 'client' : 'server';
    const theirs = role === 'client' ? 'server' : 'client';
    this.sendBits = agreement[`${own}MaxWindowBits`];
    this.sendReset = agreement[`${own}NoContextTakeover`];
    this.receiveBits = agreement[`${theirs}MaxWindowBits`];
    this.receiveReset = agreement[`${theirs}NoContextTakeover`];
  }

  /** One message's payload as sent (§7.2.1); calls must not overlap. */
  async compress(data: Buffer): Promise<Buffer> {
    // Node raises a raw window of 8 bits to 9, whose longest distance (250) still fits in 256 bytes.
    this.deflater ??= createDeflateRaw({ windowBits: this.sendBits });
    const out = await flushThrough(this.deflater, data);
    if (!out.subarray(out.length - 4).equals(TRAILER)) throw new Error('zlib: a sync flush that does not end in 00 00 ff ff');
    if (this.sendReset) this.deflater.reset(); // §7.1.1: no context takeover in this direction
    // §7.2.3.6: an empty message is one empty stored block's first byte, not no bytes at all.
    return out.length === 4 ? Buffer.from([0x00]) : out.subarray(0, out.length - 4);
  }

  /** One received message's payload, inflated (§7.2.2); rejects when it is not valid DEFLATE for the agreement. */
  async inflate(payload: Buffer): Promise<Buffer> {
    this.inflater ??= createInflateRaw({ windowBits: this.receiveBits });
    const inflater = this.inflater;
    try {
      return await flushThrough(inflater, Buffer.concat([payload, TRAILER]));
    } catch (err) {
      this.inflater = null;
      throw err;
    } finally {
      if (this.receiveReset && this.inflater === inflater) {
        // A fresh stream per message: a reference back into an earlier message cannot inflate.
        inflater.close();
        this.inflater = null;
      }
    }
  }

  close(): void {
    this.deflater?.close();
    this.inflater?.close();
    this.deflater = this.inflater = null;
  }
}
