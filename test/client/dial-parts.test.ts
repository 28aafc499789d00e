/**
 * The dialer's pure parts: what a URL means (§3, §4.1), how the body of a refusal is delimited
 * (RFC 9112 §6.3, §7.1), and how header lines are merged and filtered.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidHeaderError, InvalidUrlError } from '../../src/index.js';
import { bodyFraming, decodeBodyPrefix } from '../../src/client/dial-body.js';
import { dialerHeaders, mergeHeaderLines, withoutHostBoundHeaders } from '../../src/client/dial-headers.js';
import { authority, parseDialUrl } from '../../src/client/dial-url.js';
import { HttpHeaders } from '../../src/protocol/headers.js';
import type { ResponseHead } from '../../src/protocol/http-head.js';

describe('parseDialUrl', () => {
  it.each([
    ['ws://example.com', false, 'example.com', 80, 'example.com', '/'],
    ['wss://example.com', true, 'example.com', 443, 'example.com', '/'],
    ['ws://example.com:80/a', false, 'example.com', 80, 'example.com', '/a'],
    ['wss://example.com:443/a', true, 'example.com', 443, 'example.com', '/a'],
    ['ws://example.com:443/a', false, 'example.com', 443, 'example.com:443', '/a'],
    ['wss://example.com:80/?', true, 'example.com', 80, 'example.com:80', '/'], // an empty query is no query
    ['ws://[::1]:9001/x?y=1', false, '::1', 9001, '[::1]:9001', '/x?y=1'],
    ['wss://[2001:db8::1]/', true, '2001:db8::1', 443, '[2001:db8::1]', '/'],
    ['http://h/p', false, 'h', 80, 'h', '/p'],
    ['https://h:8443/p?q', true, 'h', 8443, 'h:8443', '/p?q'],
    ['WS://EXAMPLE.com/Path?Q=A', false, 'example.com', 80, 'example.com', '/Path?Q=A'],
  ])('%s', (url, secure, hostname, port, host, target) => {
    const t = parseDialUrl(url);
    expect({ secure: t.secure, hostname: t.hostname, port: t.port, host: t.host, target: t.target }).toEqual({ secure, hostname, port, host, target });
  });

  it('resolves a relative URL against a base', () => {
    expect(parseDialUrl('/next?a', new URL('wss://h:8443/old')).url.href).toBe('wss://h:8443/next?a');
    expect(parseDialUrl('//other/x', new URL('ws://h/old')).url.href).toBe('ws://other/x');
  });

  it('decodes credentials', () => {
    expect(parseDialUrl('ws://a%20b:c%3Ad@h/').credentials).toEqual({ username: 'a b', password: 'c:d' });
    expect(parseDialUrl('ws://h/').credentials).toBeUndefined();
  });

  it.each(['', 'example.com', 'ftp://h/', 'file:///etc/passwd', 'ws://h/#f', 'ws://h/#', 'ws://'])('refuses %j', (url) => {
    expect(() => parseDialUrl(url)).toThrow(InvalidUrlError);
  });

  it.each([
    ['', 'the URL is empty'],
    ['example.com', 'it has no scheme (start it with ws:// or wss://)'],
    ['localhost:8080', 'unsupported scheme localhost: (use ws: or wss:) (did you mean ws://localhost:8080?)'],
    ['ftp://h/', 'unsupported scheme ftp: (use ws: or wss:)'],
    ['ws://', 'it has no host'],
    ['ws://:8080/', 'it has no host'],
    ['ws://h:80800/', 'bad port 80800 (a number from 1 to 65535)'],
    ['ws://h:http/', 'bad port "http" (a number from 1 to 65535)'],
    ['ws://h:0/', 'port 0 cannot be dialed'],
    ['ws://h/#top', 'a WebSocket URL cannot have a fragment (#...; RFC 6455 §3)'],
    ['ws://my host/', 'it contains a space'],
    ['ws://[::1/', 'bad IPv6 address [::1 (no closing bracket)'],
  ])('says what is wrong with %j', (url, why) => {
    expect(() => parseDialUrl(url)).toThrow(new InvalidUrlError(`websocket: invalid URL ${JSON.stringify(url)}: ${why}`));
  });

  it('keeps a password out of the message', () => {
    expect(() => parseDialUrl('ws://ada:secret@:1/')).toThrow('websocket: invalid URL "ws://ada:***@:1/": it has no host');
  });

  it('writes authorities with IPv6 in brackets', () => {
    expect(authority('::1', 80)).toBe('[::1]:80');
    expect(authority('example.com', 443)).toBe('example.com:443');
  });
});

const response = (status: number, lines: Array<[string, string]> = []): ResponseHead => ({
  versionMajor: 1,
  versionMinor: 1,
  status,
  reason: '',
  headers: HttpHeaders.from(lines),
});

describe('the body of a refused handshake', () => {
  it('finds the framing', () => {
    expect(bodyFraming(response(204))).toEqual({ kind: 'none' });
    expect(bodyFraming(response(304))).toEqual({ kind: 'none' });
    expect(bodyFraming(response(403, [['Content-Length', '12']]))).toEqual({ kind: 'length', length: 12 });
    expect(bodyFraming(response(403, [['Content-Length', '12, 12']]))).toEqual({ kind: 'length', length: 12 });
    expect(bodyFraming(response(403, [['Content-Length', '12'], ['Content-Length', '13']]))).toEqual({ kind: 'close' });
    expect(bodyFraming(response(403, [['Content-Length', '-1']]))).toEqual({ kind: 'close' });
    expect(bodyFraming(response(403, [['Transfer-Encoding', 'gzip, chunked'], ['Content-Length', '5']]))).toEqual({ kind: 'chunked' });
    expect(bodyFraming(response(403, [['Transfer-Encoding', 'chunked, gzip']]))).toEqual({ kind: 'close' });
    expect(bodyFraming(response(403))).toEqual({ kind: 'close' });
  });

  it('stops at Content-Length and at the limit', () => {
    expect(decodeBodyPrefix({ kind: 'length', length: 3 }, Buffer.from('abcdef'))).toEqual({ body: Buffer.from('abc'), complete: true });
    expect(decodeBodyPrefix({ kind: 'length', length: 10 }, Buffer.from('abc'))).toEqual({ body: Buffer.from('abc'), complete: false });
    expect(decodeBodyPrefix({ kind: 'close' }, Buffer.from('abcdef'), 4)).toEqual({ body: Buffer.from('abcd'), complete: true });
    expect(decodeBodyPrefix({ kind: 'close' }, Buffer.from('ab'), 4).complete).toBe(false);
  });

  it('decodes chunks however the bytes have arrived so far', () => {
    const wire = Buffer.from('4;x=y\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\n\r\n');
    expect(decodeBodyPrefix({ kind: 'chunked' }, wire).body.toString()).toBe('Wikipedia in\r\n\r\nchunks.');
    expect(decodeBodyPrefix({ kind: 'chunked' }, wire).complete).toBe(true);
    fc.assert(
      fc.property(fc.nat(wire.length - 1), (cut) => {
        const prefix = decodeBodyPrefix({ kind: 'chunked' }, wire.subarray(0, cut));
        expect('Wikipedia in\r\n\r\nchunks.'.startsWith(prefix.body.toString())).toBe(true);
        // Complete once the last chunk's size line (0) is in.
        expect(prefix.complete).toBe(cut >= wire.indexOf('\r\n0\r\n') + 5);
      }),
    );
    expect(decodeBodyPrefix({ kind: 'chunked' }, wire, 6)).toEqual({ body: Buffer.from('Wikipe'), complete: true });
  });

  it('gives up on broken chunk framing', () => {
    expect(decodeBodyPrefix({ kind: 'chunked' }, Buffer.from('zz\r\nabc'))).toEqual({ body: Buffer.alloc(0), complete: true });
    expect(decodeBodyPrefix({ kind: 'chunked' }, Buffer.from('3'.repeat(2000))).complete).toBe(true);
  });
});

describe('request header lines', () => {
  it('adds the origin option and merges dial() headers by name', () => {
    const base = dialerHeaders({ 'X-A': '1', Cookie: ['a', 'b'] }, 'https://o.example');
    expect(base).toEqual([['X-A', '1'], ['Cookie', 'a'], ['Cookie', 'b'], ['Origin', 'https://o.example']]);
    expect(mergeHeaderLines(base, { COOKIE: 'c', 'X-B': '2' })).toEqual([['X-A', '1'], ['Origin', 'https://o.example'], ['COOKIE', 'c'], ['X-B', '2']]);
  });

  it('refuses reserved names', () => {
    for (const name of ['upgrade', 'CONNECTION', 'Sec-WebSocket-Key', 'sec-websocket-anything']) {
      expect(() => dialerHeaders({ [name]: 'x' }, undefined)).toThrow(InvalidHeaderError);
      expect(() => mergeHeaderLines([], [[name, 'x']])).toThrow(InvalidHeaderError);
    }
  });

  it('drops the lines bound to a host', () => {
    expect(withoutHostBoundHeaders([['authorization', 'a'], ['Cookie', 'c'], ['HOST', 'h'], ['X', 'x']])).toEqual([['X', 'x']]);
  });
});
