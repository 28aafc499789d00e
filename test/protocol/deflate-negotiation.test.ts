import { describe, expect, it } from 'vitest';
import {
  DeflateResponseError,
  acceptDeflateOffer,
  acceptDeflateResponse,
  buildDeflateOffer,
} from '../../src/protocol/deflate-negotiation.js';
import { formatExtensions, parseExtensions } from '../../src/protocol/header-tokens.js';

const offers = (header: string) => parseExtensions(header)!;
const respond = (header: string, options = {}) => {
  const result = acceptDeflateOffer(offers(header), options);
  return result === null ? null : { header: formatExtensions([result.response]), params: result.params };
};

describe('server: accepting an offer (RFC 7692 §5, §7.1)', () => {
  it('accepts a bare offer with every default', () => {
    expect(respond('permessage-deflate')).toEqual({
      header: 'permessage-deflate',
      params: { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 },
    });
  });

  it('grants the no_context_takeover parameters the client asks for', () => {
    expect(respond('permessage-deflate; server_no_context_takeover; client_no_context_takeover')?.header).toBe(
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover',
    );
  });

  it('adds no_context_takeover parameters of its own (§7.1.1)', () => {
    const r = respond('permessage-deflate', { serverNoContextTakeover: true, clientNoContextTakeover: true });
    expect(r?.header).toBe('permessage-deflate; server_no_context_takeover; client_no_context_takeover');
    expect(r?.params).toMatchObject({ serverNoContextTakeover: true, clientNoContextTakeover: true });
  });

  it('answers server_max_window_bits only when offered, never larger (§7.1.2.1)', () => {
    expect(respond('permessage-deflate; server_max_window_bits=10')?.header).toBe('permessage-deflate; server_max_window_bits=10');
    expect(respond('permessage-deflate; server_max_window_bits=10', { serverMaxWindowBits: 9 })?.header).toBe(
      'permessage-deflate; server_max_window_bits=9',
    );
    expect(respond('permessage-deflate; server_max_window_bits=10', { serverMaxWindowBits: 12 })?.params.serverMaxWindowBits).toBe(10);
    // Not offered: not in the response, but the server still compresses within its own limit.
    const r = respond('permessage-deflate', { serverMaxWindowBits: 9 });
    expect(r?.header).toBe('permessage-deflate');
    expect(r?.params.serverMaxWindowBits).toBe(9);
  });

  it('limits client_max_window_bits only when the client said it can be limited (§7.1.2.2)', () => {
    expect(respond('permessage-deflate; client_max_window_bits', { clientMaxWindowBits: 10 })?.header).toBe(
      'permessage-deflate; client_max_window_bits=10',
    );
    expect(respond('permessage-deflate; client_max_window_bits')?.header).toBe('permessage-deflate');
    expect(respond('permessage-deflate; client_max_window_bits=12', { clientMaxWindowBits: 14 })?.header).toBe(
      'permessage-deflate; client_max_window_bits=12',
    );
    const notOffered = respond('permessage-deflate', { clientMaxWindowBits: 10 });
    expect(notOffered?.header).toBe('permessage-deflate');
    expect(notOffered?.params.clientMaxWindowBits).toBe(15);
  });

  it('declines invalid offers and takes the next valid one', () => {
    const invalid = [
      'permessage-deflate; server_max_window_bits=7',
      'permessage-deflate; server_max_window_bits=16',
      'permessage-deflate; server_max_window_bits=010',
      'permessage-deflate; server_max_window_bits',
      'permessage-deflate; client_max_window_bits=abc',
      'permessage-deflate; server_no_context_takeover=1',
      'permessage-deflate; server_no_context_takeover; server_no_context_takeover',
      'permessage-deflate; client_max_window_bits; client_max_window_bits=10',
      'permessage-deflate; unknown_param',
    ];
    for (const offer of invalid) expect(respond(offer), offer).toBeNull();
    expect(respond(`${invalid[0]}, permessage-deflate; client_no_context_takeover`)?.header).toBe(
      'permessage-deflate; client_no_context_takeover',
    );
    expect(respond('x-other, permessage-deflate')?.header).toBe('permessage-deflate');
    expect(respond('x-other')).toBeNull();
  });

  it('checks option ranges', () => {
    expect(() => buildDeflateOffer({ serverMaxWindowBits: 7 })).toThrow(RangeError);
    expect(() => buildDeflateOffer({ clientMaxWindowBits: 16 })).toThrow(RangeError);
  });
});

describe('client: offering and checking the response', () => {
  it('offers the options it was given, always announcing client_max_window_bits', () => {
    expect(formatExtensions([buildDeflateOffer()])).toBe('permessage-deflate; client_max_window_bits');
    expect(
      formatExtensions([buildDeflateOffer({ serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 11 })]),
    ).toBe('permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11');
  });

  const response = (header: string) => parseExtensions(header)![0]!;

  it('accepts valid responses and applies what the server decided', () => {
    expect(acceptDeflateResponse(response('permessage-deflate'))).toEqual({
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
    });
    expect(acceptDeflateResponse(response('permessage-deflate; client_no_context_takeover; client_max_window_bits=9'))).toMatchObject({
      clientNoContextTakeover: true,
      clientMaxWindowBits: 9,
    });
    expect(acceptDeflateResponse(response('permessage-deflate; server_max_window_bits=9'), { serverMaxWindowBits: 10 }).serverMaxWindowBits).toBe(9);
    expect(acceptDeflateResponse(response('permessage-deflate'), { clientNoContextTakeover: true }).clientNoContextTakeover).toBe(true);
  });

  it('takes server_max_window_bits and server_no_context_takeover that were not asked for (§7.1.1.1, §7.1.2.1: the server MAY add them)', () => {
    expect(acceptDeflateResponse(response('permessage-deflate; server_no_context_takeover; server_max_window_bits=10'))).toEqual({
      serverNoContextTakeover: true,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 10,
      clientMaxWindowBits: 15,
    });
  });

  const failures: Array<[string, string, object]> = [
    ['an unknown parameter', 'permessage-deflate; foo', {}],
    ['a repeated parameter', 'permessage-deflate; client_no_context_takeover; client_no_context_takeover', {}],
    ['client_max_window_bits without a value', 'permessage-deflate; client_max_window_bits', {}],
    ['server_max_window_bits larger than offered', 'permessage-deflate; server_max_window_bits=12', { serverMaxWindowBits: 10 }],
    ['client_max_window_bits larger than offered', 'permessage-deflate; client_max_window_bits=12', { clientMaxWindowBits: 10 }],
    ['server_no_context_takeover requested but missing', 'permessage-deflate', { serverNoContextTakeover: true }],
    ['an out-of-range window', 'permessage-deflate; client_max_window_bits=16', {}],
  ];
  for (const [name, header, offered] of failures) {
    it(`fails on ${name}`, () => {
      expect(() => acceptDeflateResponse(response(header), offered)).toThrow(DeflateResponseError);
    });
  }
});
