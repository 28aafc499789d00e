import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatExtensions, parseExtensions, parseTokenList, tokenListHas } from '../../src/protocol/header-tokens.js';
import { HttpHeaders } from '../../src/protocol/headers.js';

describe('token lists', () => {
  it('splits on commas with optional whitespace and skips empty elements', () => {
    expect(parseTokenList('a, b ,c,,  ,d')).toEqual(['a', 'b', 'c', 'd']);
    expect(parseTokenList('')).toEqual([]);
    expect(parseTokenList(' , ')).toEqual([]);
  });

  it('refuses non-tokens', () => {
    expect(parseTokenList('a b')).toBeNull();
    expect(parseTokenList('a;b')).toBeNull();
    expect(parseTokenList('"a"')).toBeNull();
  });

  it('matches tokens case-insensitively', () => {
    expect(tokenListHas('keep-alive, Upgrade', 'upgrade')).toBe(true);
    expect(tokenListHas('keep-alive', 'upgrade')).toBe(false);
    expect(tokenListHas(undefined, 'upgrade')).toBe(false);
    expect(tokenListHas('upgrade-insecure', 'upgrade')).toBe(false);
  });
});

describe('Sec-WebSocket-Extensions', () => {
  it('parses names, parameters with and without values, and quoted values', () => {
    expect(parseExtensions('permessage-deflate; client_max_window_bits; server_max_window_bits="10", x-foo;a=1')).toEqual([
      { name: 'permessage-deflate', params: [['client_max_window_bits', true], ['server_max_window_bits', '10']] },
      { name: 'x-foo', params: [['a', '1']] },
    ]);
  });

  it('keeps duplicate parameters so extensions can refuse them', () => {
    expect(parseExtensions('e; a=1; a=2')).toEqual([{ name: 'e', params: [['a', '1'], ['a', '2']] }]);
  });

  it('unescapes quoted pairs and requires the result to be a token (§9.1)', () => {
    expect(parseExtensions('e; a="1\\0"')).toEqual([{ name: 'e', params: [['a', '10']] }]);
    expect(parseExtensions('e; a="1 0"')).toBeNull();
    expect(parseExtensions('e; a="10')).toBeNull();
  });

  it('refuses syntax errors', () => {
    for (const bad of [';', 'e;', 'e; =1', 'e; a=', 'e a', 'e; a b', 'e,;']) expect(parseExtensions(bad), bad).toBeNull();
  });

  it('property: format then parse gives the extensions back', () => {
    const token = fc.stringMatching(/^[a-z0-9_-]{1,10}$/);
    fc.assert(
      fc.property(
        fc.array(fc.record({ name: token, params: fc.array(fc.tuple(token, fc.oneof(fc.constant(true as const), token))) }), { minLength: 1, maxLength: 4 }),
        (extensions) => {
          expect(parseExtensions(formatExtensions(extensions))).toEqual(extensions);
        },
      ),
    );
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        parseExtensions(s);
        parseTokenList(s);
      }),
    );
  });
});

describe('HttpHeaders', () => {
  it('is case-insensitive, keeps every line and joins lists', () => {
    const h = HttpHeaders.from([
      ['Sec-WebSocket-Protocol', 'a'],
      ['sec-websocket-protocol', 'b'],
    ]);
    expect(h.get('SEC-WEBSOCKET-PROTOCOL')).toBe('a, b');
    expect(h.getAll('Sec-WebSocket-Protocol')).toEqual(['a', 'b']);
    expect(h.size).toBe(2);
    expect([...h]).toEqual([
      ['sec-websocket-protocol', 'a'],
      ['sec-websocket-protocol', 'b'],
    ]);
  });

  it('builds from a record with array values', () => {
    const h = HttpHeaders.from({ 'Set-Cookie': ['a=1', 'b=2'], Host: 'x', Skip: undefined });
    expect(h.getAll('set-cookie')).toEqual(['a=1', 'b=2']);
    expect(h.has('skip')).toBe(false);
  });
});
