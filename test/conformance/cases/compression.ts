/**
 * Autobahn categories 12 and 13, permessage-deflate (RFC 7692), as autobahntestsuite's
 * case12_x_x.py defines them. Each case negotiates the extension, then sends messages one at a
 * time, each a compressed slice of test data (RSV1 on the first frame, §6), auto-fragmented into
 * frames of a given size when asked, and waits for the echo. The testee (our echo server and echo
 * client with `--compression`, threshold 0) must echo each message intact and compressed.
 *
 * - 12.1–12.5: Autobahn's default offer and acceptance, one data set each (JSON, a bitmap, German
 *   prose, HTML, a PDF), 18 message sizes each.
 * - 13.1–13.7: the JSON data under seven parameter sets: no context takeover and window bits 8 or
 *   15 for the server's direction when the peer is the client (Autobahn's offers), for the client's
 *   direction when the peer is the server (Autobahn's `accept1` … `accept7`).
 *
 * Each case first checks what the opening handshake agreed. The peer then holds the testee to it:
 * a direction without context takeover is inflated afresh for every message, so a reference into
 * an earlier message fails, and a direction limited to 2^N bytes is inflated with that window.
 *
 * Autobahn sends 1000 messages per case; here a case sends from 32 (small messages) down to 4
 * (32 KiB and up), which still carries context from message to message and wraps around the data,
 * and keeps the suite fast. CONFORMANCE_FULL=1 sends Autobahn's 1000.
 */
import { expect } from 'vitest';
import { type DeflateAccept, type DeflateAgreement, type DeflateOffer, acceptFirst, autobahnOffer, firstAccepting } from '../harness/deflate.js';
import type { ConformanceCase } from '../harness/run-cases.js';
import { COMPRESSION_DATA, Slices, type TestData } from './compression-data.js';

/** Autobahn's MSG_SIZES: payload length and auto-fragment size (0: one frame per message). */
const MSG_SIZES: ReadonlyArray<[length: number, fragmentSize: number]> = [
  [16, 0],
  [64, 0],
  [256, 0],
  [1024, 0],
  [4096, 0],
  [8192, 0],
  [16384, 0],
  [32768, 0],
  [65536, 0],
  [131072, 0],
  [8192, 256],
  [16384, 256],
  [32768, 256],
  [65536, 256],
  [131072, 256],
  [131072, 1024],
  [131072, 4096],
  [131072, 32768],
];

const FULL = process.env.CONFORMANCE_FULL === '1';

/** Messages per case: Autobahn's 1000 with CONFORMANCE_FULL=1, else 128 KiB's worth, 4 to 32 of them. */
export function messageCount(length: number): number {
  return FULL ? 1000 : Math.min(32, Math.max(4, Math.floor((128 * 1024) / length)));
}

/** One way to negotiate: what the peer offers as client, how it accepts as server, and what must be agreed. */
export interface ParameterSet {
  /** Autobahn's description of the set. */
  title: string;
  /** The peer as client: Autobahn's CLIENT_OFFERS. */
  offers: DeflateOffer[];
  /** The peer as server: Autobahn's SERVER_ACCEPT. */
  accept: DeflateAccept;
  /** What our server (accepting every parameter, adding none of its own) must agree to. */
  withServer: DeflateAgreement;
  /** What our client (offering client_max_window_bits without a value, nothing else) must agree to. */
  withClient: DeflateAgreement;
}

/** An agreement: server_no_context_takeover, client_no_context_takeover, server and client window bits. */
function agreed(serverNoContextTakeover: boolean, clientNoContextTakeover: boolean, serverMaxWindowBits: number, clientMaxWindowBits: number): DeflateAgreement {
  return { serverNoContextTakeover, clientNoContextTakeover, serverMaxWindowBits, clientMaxWindowBits };
}

/** Autobahn's default: the offer hints client_no_context_takeover, which the answer may take up (§7.1.1.2). */
const DEFAULT_SET: ParameterSet = {
  title: 'the default offer and acceptance',
  offers: [autobahnOffer()],
  accept: acceptFirst(),
  withServer: agreed(false, true, 15, 15),
  withClient: agreed(false, false, 15, 15),
};

const accept2 = acceptFirst({ clientNoContextTakeover: true });
const accept5 = acceptFirst({ clientNoContextTakeover: true, clientMaxWindowBits: 8 });

/** Autobahn's DEFLATE_PARAMS, for 13.1 to 13.7. */
const PARAMETER_SETS: ParameterSet[] = [
  { ...DEFAULT_SET, title: 'offer (no server_no_context_takeover, any window) / accept (no client_no_context_takeover, any window)' },
  {
    title: 'offer server_no_context_takeover / accept with client_no_context_takeover',
    offers: [autobahnOffer(true, 0)],
    accept: accept2,
    withServer: agreed(true, true, 15, 15),
    withClient: agreed(false, true, 15, 15),
  },
  {
    title: 'offer server_max_window_bits=8 / accept with client_max_window_bits=8',
    offers: [autobahnOffer(false, 8)],
    accept: acceptFirst({ clientMaxWindowBits: 8 }),
    withServer: agreed(false, true, 8, 15),
    withClient: agreed(false, false, 15, 8),
  },
  {
    title: 'offer server_max_window_bits=15 / accept with client_max_window_bits=15',
    offers: [autobahnOffer(false, 15)],
    accept: acceptFirst({ clientMaxWindowBits: 15 }),
    withServer: agreed(false, true, 15, 15),
    withClient: agreed(false, false, 15, 15),
  },
  {
    title: 'offer server_no_context_takeover, server_max_window_bits=8 / accept with client_no_context_takeover, client_max_window_bits=8',
    offers: [autobahnOffer(true, 8)],
    accept: accept5,
    withServer: agreed(true, true, 8, 15),
    withClient: agreed(false, true, 15, 8),
  },
  {
    title: 'offer server_no_context_takeover, server_max_window_bits=15 / accept with client_no_context_takeover, client_max_window_bits=15',
    offers: [autobahnOffer(true, 15)],
    accept: acceptFirst({ clientNoContextTakeover: true, clientMaxWindowBits: 15 }),
    withServer: agreed(true, true, 15, 15),
    withClient: agreed(false, true, 15, 15),
  },
  {
    title: 'three offers, the first taken / accept as 13.5, else 13.2, else 13.1',
    offers: [autobahnOffer(true, 8), autobahnOffer(true, 0), autobahnOffer()],
    accept: firstAccepting(accept5, accept2, acceptFirst()),
    withServer: agreed(true, true, 8, 15),
    withClient: agreed(false, true, 15, 8),
  },
];

/**
 * Beyond Autobahn: a client that limits its own window (client_max_window_bits=9) and asks for a
 * server window of 10, no hint; a server that adds server_no_context_takeover and
 * server_max_window_bits=10 without being asked, which RFC 7692 §7.1.1.1 and §7.1.2.1 allow.
 */
const BEYOND_SET: ParameterSet = {
  title: 'beyond Autobahn: offer client_max_window_bits=9, server_max_window_bits=10 / accept adding server_no_context_takeover, server_max_window_bits=10 unasked',
  offers: [{ serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 10, clientMaxWindowBits: 9 }],
  accept: (offers) =>
    offers.length === 0 ? null : { serverNoContextTakeover: true, clientNoContextTakeover: false, serverMaxWindowBits: Math.min(10, offers[0]!.serverMaxWindowBits ?? 15) },
  withServer: agreed(false, false, 10, 9),
  withClient: agreed(true, false, 10, 15),
};

function compressionCase(id: string, set: ParameterSet, data: TestData, length: number, fragmentSize: number, what: string): ConformanceCase {
  const count = messageCount(length);
  const frames = fragmentSize === 0 ? '' : `, in frames of ${fragmentSize} bytes`;
  return {
    id,
    title: `${count} messages of ${length} bytes${frames}, compressed both ways, come back intact: ${what}`,
    handshake: { offers: set.offers, accept: set.accept },
    timeout: FULL ? 600_000 : 60_000,
    async run(peer) {
      // The peer as client tests our server; as server, our client.
      expect(peer.deflate, 'what the opening handshake agreed').toEqual(peer.role === 'client' ? set.withServer : set.withClient);
      const type = data.text ? 'text' : 'binary';
      const slices = new Slices(data.bytes());
      for (let n = 0; n < count; n++) {
        const payload = slices.next(length);
        await peer.sendMessage(type, payload, { compressed: true, fragmentSize });
        await peer.expectMessage(type, payload, { compressed: true });
      }
      await peer.closeNormally(1000, '', [1000]);
    },
  };
}

/** 12.j.i: data set j with Autobahn's default offer and acceptance, message size i. */
export const compressionCases: ConformanceCase[] = COMPRESSION_DATA.flatMap((data, j) =>
  MSG_SIZES.map(([length, fragmentSize], i) => compressionCase(`12.${j + 1}.${i + 1}`, DEFAULT_SET, data, length, fragmentSize, data.description)),
);

/** 13.j.i: the JSON data under parameter set j, message size i; then the set beyond Autobahn, as 13.8. */
export const compressionParameterCases: ConformanceCase[] = [...PARAMETER_SETS, BEYOND_SET].flatMap((set, j) =>
  MSG_SIZES.map(([length, fragmentSize], i) => compressionCase(`13.${j + 1}.${i + 1}`, set, COMPRESSION_DATA[0]!, length, fragmentSize, set.title)),
);
