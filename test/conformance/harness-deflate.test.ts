/**
 * The conformance peer's permessage-deflate (harness/deflate.ts): its offers and answers are
 * Autobahn's, it refuses answers that RFC 7692 §7.1 forbids, and its codec catches a testee that
 * breaks the agreement. Then the compression tables run against `ws`, client and server, which
 * checks the peer in both roles against an implementation that is not ours.
 */
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { compressionCases, compressionParameterCases } from './cases/compression.js';
import {
  type DeflateAgreement,
  PeerCodec,
  acceptFirst,
  agreementFromResponse,
  autobahnOffer,
  firstAccepting,
  formatOffers,
  formatResponse,
  offersFromRequest,
} from './harness/deflate.js';
import { openClientPeer } from './harness/handshake.js';
import { runCases } from './harness/run-cases.js';
import { type Testee, clientTestee } from './harness/testee.js';

describe('permessage-deflate negotiation of the peer', () => {
  it("offers what Autobahn's PerMessageDeflateOffer sends", () => {
    expect(formatOffers([autobahnOffer()])).toBe('permessage-deflate; client_no_context_takeover; client_max_window_bits');
    expect(formatOffers([autobahnOffer(true, 8), autobahnOffer(true, 0)])).toBe(
      'permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover; server_max_window_bits=8, ' +
        'permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover',
    );
  });

  it("answers as Autobahn's accept functions do, passing over offers that do not allow what it asks", () => {
    const browser = offersFromRequest('permessage-deflate; client_max_window_bits, x-other');
    expect(browser).toEqual([{ serverNoContextTakeover: false, clientNoContextTakeover: false, clientMaxWindowBits: true }]);
    const offers = browser as Exclude<typeof browser, string>;
    const accept5 = acceptFirst({ clientNoContextTakeover: true, clientMaxWindowBits: 8 });
    expect(formatResponse(accept5(offers)!)).toBe('permessage-deflate; client_no_context_takeover; client_max_window_bits=8');
    // Without client_max_window_bits in the offer, a window may not be asked for (§7.1.2.2).
    expect(accept5(offersFromRequest('permessage-deflate') as [])).toBeNull();
    const asked = offersFromRequest('permessage-deflate; server_no_context_takeover; server_max_window_bits=9') as [];
    expect(formatResponse(firstAccepting(accept5, acceptFirst())(asked)!)).toBe('permessage-deflate; server_no_context_takeover; server_max_window_bits=9');
    expect(offersFromRequest('permessage-deflate; server_max_window_bits')).toMatch(/needs a value/);
    expect(offersFromRequest('permessage-deflate; client_max_window_bits=16')).toMatch(/out of 8\.\.15/);
  });

  const agreement = (serverNoContextTakeover: boolean, clientNoContextTakeover: boolean, serverMaxWindowBits: number, clientMaxWindowBits: number): DeflateAgreement => ({
    serverNoContextTakeover,
    clientNoContextTakeover,
    serverMaxWindowBits,
    clientMaxWindowBits,
  });

  it('takes a valid answer, including what a server may add unasked (§7.1.1.1, §7.1.2.1)', () => {
    expect(agreementFromResponse(undefined, [autobahnOffer()])).toBeNull();
    expect(agreementFromResponse('permessage-deflate', [autobahnOffer()])).toEqual(agreement(false, true, 15, 15));
    expect(agreementFromResponse('permessage-deflate; server_no_context_takeover; server_max_window_bits=10', [autobahnOffer()])).toEqual(agreement(true, true, 10, 15));
    expect(agreementFromResponse('permessage-deflate; server_max_window_bits="8"; client_max_window_bits=9', [autobahnOffer(false, 8)])).toEqual(agreement(false, true, 8, 9));
    // The second of two offers is the one an answer without server_no_context_takeover accepts.
    expect(agreementFromResponse('permessage-deflate', [autobahnOffer(true, 0), autobahnOffer()])).toEqual(agreement(false, true, 15, 15));
  });

  it.each([
    ['an answer with no offer', 'permessage-deflate', []],
    ['two elements', 'permessage-deflate, permessage-deflate', [autobahnOffer()]],
    ['another extension', 'x-webkit-deflate-frame', [autobahnOffer()]],
    ['an unknown parameter', 'permessage-deflate; foo', [autobahnOffer()]],
    ['a repeated parameter', 'permessage-deflate; server_no_context_takeover; server_no_context_takeover', [autobahnOffer()]],
    ['server_no_context_takeover asked for, not answered', 'permessage-deflate', [autobahnOffer(true, 0)]],
    ['server_max_window_bits larger than offered', 'permessage-deflate; server_max_window_bits=9', [autobahnOffer(false, 8)]],
    ['server_max_window_bits offered, not answered', 'permessage-deflate', [autobahnOffer(false, 8)]],
    ['client_max_window_bits not offered', 'permessage-deflate; client_max_window_bits=10', [{ serverNoContextTakeover: false, clientNoContextTakeover: false }]],
    ['client_max_window_bits without a value', 'permessage-deflate; client_max_window_bits', [autobahnOffer()]],
  ])('refuses %s', (_, header, offers) => {
    expect(agreementFromResponse(header, offers)).toEqual(expect.any(String));
  });
});

describe('the peer codec', () => {
  const json = Buffer.from(JSON.stringify(Array.from({ length: 50 }, (_, i) => ({ id: i, name: `item-${i % 7}` }))));

  it('compresses and inflates across messages with context takeover, without the 00 00 ff ff trailer (§7.2.1)', async () => {
    const both = agreementFromResponse('permessage-deflate', [autobahnOffer()]) as DeflateAgreement;
    const client = new PeerCodec({ ...both, clientNoContextTakeover: false }, 'client');
    const server = new PeerCodec({ ...both, clientNoContextTakeover: false }, 'server');
    const first = await client.compress(json);
    const second = await client.compress(json);
    expect(first.subarray(-4).equals(Buffer.from([0, 0, 0xff, 0xff]))).toBe(false);
    expect(second.length).toBeLessThan(first.length / 4); // the second refers back into the first
    expect(await server.inflate(first)).toEqual(json);
    expect(await server.inflate(second)).toEqual(json);
    expect(await server.inflate(await client.compress(Buffer.alloc(0)))).toEqual(Buffer.alloc(0));
    client.close();
    server.close();
  });

  it('fails to inflate a message that refers back to an earlier one when the sender agreed to no context takeover', async () => {
    const sender = new PeerCodec(
      { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 },
      'client',
    );
    const receiver = new PeerCodec(
      { serverNoContextTakeover: false, clientNoContextTakeover: true, serverMaxWindowBits: 15, clientMaxWindowBits: 15 },
      'server',
    );
    expect(await receiver.inflate(await sender.compress(json))).toEqual(json);
    await expect(receiver.inflate(await sender.compress(json))).rejects.toThrow(/distance too far back/);
    sender.close();
    receiver.close();
  });
});

// ---------------------------------------------------------------- the tables against ws

/** Of each data set, the smallest and the largest message; of each parameter set, those and the largest in 256-byte frames. */
const sample = [...compressionCases.filter((c) => /\.(1|10)$/.test(c.id)), ...compressionParameterCases.filter((c) => /\.(1|10|15)$/.test(c.id))];

/** The `ws` client with permessage-deflate (it offers client_max_window_bits alone, as ours does), compressing everything. */
const wsClient = clientTestee(
  'ws client',
  (url) => {
    const ws = new WebSocket(url, { perMessageDeflate: { threshold: 0 } });
    ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }));
    ws.on('error', () => {});
  },
  { clientMayCloseTcpFirst: true },
);
runCases('the compression tables with the peer as server (the ws client as testee)', wsClient, sample);

/** A `ws` echo server that accepts every permessage-deflate parameter and compresses everything. */
function wsServer(): Testee {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: { threshold: 0 } });
  wss.on('connection', (ws) => ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary })));
  beforeAll(() => new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve)));
  afterAll(() => {
    for (const ws of wss.clients) ws.terminate();
    return new Promise<void>((resolve) => http.close(() => resolve()));
  });
  return { name: 'ws server', open: (c) => openClientPeer((http.address() as { port: number }).port, c.handshake) };
}
runCases('the compression tables with the peer as client (a ws server as testee)', wsServer(), sample);
