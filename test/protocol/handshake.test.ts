import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildUpgradeRequest, validateUpgradeResponse } from '../../src/protocol/client-handshake.js';
import { BadHandshakeError, HandshakeError, InvalidHeaderError } from '../../src/protocol/errors.js';
import { computeAccept, generateKey, isValidKey } from '../../src/protocol/handshake.js';
import { RequestHeadParser, ResponseHeadParser, type RequestHead } from '../../src/protocol/http-head.js';
import {
  buildAcceptResponse,
  buildErrorResponse,
  isSameOrigin,
  selectSubprotocol,
  validateUpgradeRequest,
} from '../../src/protocol/server-handshake.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

function request(lines: string[], requestLine = 'GET /chat HTTP/1.1'): Buffer {
  return Buffer.from([requestLine, ...lines, '', ''].join('\r\n'), 'latin1');
}
const goodLines = ['Host: server.example.com', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Key: ${KEY}`, 'Sec-WebSocket-Version: 13'];

function parseRequest(bytes: Buffer, limits = {}): RequestHead {
  const result = new RequestHeadParser(limits).push(bytes);
  if (result === null) throw new Error('incomplete');
  return result.head;
}

function statusOf(fn: () => unknown): number | null {
  try {
    fn();
    return null;
  } catch (err) {
    if (err instanceof HandshakeError) return err.status;
    throw err;
  }
}

describe('Sec-WebSocket-Accept (§1.3, §4.2.2)', () => {
  it('matches the RFC example', () => {
    expect(computeAccept(KEY)).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('is base64(SHA-1(key + GUID)) for any key', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const key = Buffer.from(bytes).toString('base64');
        const expected = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`, 'latin1').digest('base64');
        expect(computeAccept(key)).toBe(expected);
      }),
    );
  });

  it('validates keys as base64 of 16 bytes', () => {
    expect(isValidKey(KEY)).toBe(true);
    expect(isValidKey(generateKey())).toBe(true);
    expect(isValidKey('dGhlIHNhbXBsZSBub25jZQ')).toBe(false); // no padding
    expect(isValidKey('dGhlIHNhbXBsZSBub25jZR==')).toBe(false); // non-canonical last char
    expect(isValidKey('dGhlIHNhbXBsZSBub25j!!==')).toBe(false);
    expect(isValidKey(Buffer.alloc(17).toString('base64'))).toBe(false);
    expect(generateKey()).not.toBe(generateKey());
  });

  it('accepts exactly the strings that decode to 16 bytes and encode back the same', () => {
    const byRoundTrip = (key: string): boolean => {
      const bytes = Buffer.from(key, 'base64');
      return key.length === 24 && bytes.length === 16 && bytes.toString('base64') === key;
    };
    const base64Char = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ !'.split(''));
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        expect(isValidKey(Buffer.from(bytes).toString('base64'))).toBe(true);
      }),
    );
    fc.assert(
      fc.property(fc.array(base64Char, { minLength: 20, maxLength: 26 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.nat(23), fc.boolean(), (chars, bytes, at, mutate) => {
        // Random strings, and valid keys with one character changed: both ways agree.
        const valid = Buffer.from(bytes).toString('base64');
        const key = mutate ? valid.slice(0, at) + chars[0]! + valid.slice(at + 1) : chars.join('');
        expect(isValidKey(key)).toBe(byRoundTrip(key));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('RequestHeadParser', () => {
  it('parses the RFC sample request, with case-insensitive headers', () => {
    const bytes = request([...goodLines, 'Origin: http://example.com', 'Sec-WebSocket-Protocol: chat, superchat']);
    const head = parseRequest(bytes);
    expect(head).toMatchObject({ method: 'GET', target: '/chat', versionMajor: 1, versionMinor: 1 });
    expect(head.headers.get('HOST')).toBe('server.example.com');
    expect(head.headers.get('sec-websocket-protocol')).toBe('chat, superchat');
  });

  it('returns the bytes after the head untouched', () => {
    const tail = Buffer.from([0x81, 0x85, 1, 2, 3, 4]);
    const result = new RequestHeadParser().push(Buffer.concat([request(goodLines), tail]));
    expect(result?.rest).toEqual(tail);
  });

  it('property: any chunking gives the same head and rest', () => {
    const bytes = Buffer.concat([request([...goodLines, 'X-Long: ' + 'v'.repeat(300)]), Buffer.from('tail')]);
    fc.assert(
      fc.property(fc.array(fc.nat({ max: bytes.length }), { maxLength: 40 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const parser = new RequestHeadParser();
        let prev = 0;
        let result = null;
        const rest: Buffer[] = [];
        for (const p of [...points, bytes.length]) {
          const chunk = bytes.subarray(prev, p);
          prev = p;
          if (result !== null) {
            rest.push(chunk);
            continue;
          }
          result = parser.push(Buffer.from(chunk));
          if (result !== null) rest.push(result.rest);
        }
        expect(result?.head.headers.get('x-long')).toBe('v'.repeat(300));
        expect(Buffer.concat(rest).toString()).toBe('tail');
      }),
    );
  });

  it('keeps __proto__ and constructor as plain headers', () => {
    const head = parseRequest(request([...goodLines, '__proto__: polluted', 'constructor: x', 'hasOwnProperty: y']));
    expect(head.headers.get('__proto__')).toBe('polluted');
    expect(head.headers.get('constructor')).toBe('x');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(head.headers.toRecord()['__proto__']).toBe('polluted');
    expect(Object.getPrototypeOf(head.headers.toRecord())).toBeNull();
  });

  it('enforces the start line limit with 414, even before the line ends', () => {
    const parser = new RequestHeadParser({ maxStartLineBytes: 100 });
    expect(statusOf(() => parser.push(Buffer.from('GET /' + 'a'.repeat(200))))).toBe(414);
  });

  it('enforces the total size limit with 431, even before the head ends', () => {
    const parser = new RequestHeadParser({ maxHeaderBytes: 1024 });
    parser.push(Buffer.from('GET / HTTP/1.1\r\n'));
    expect(statusOf(() => parser.push(Buffer.from('X-A: ' + 'b'.repeat(2000))))).toBe(431);
  });

  it('enforces the header count limit with 431', () => {
    const lines = Array.from({ length: 101 }, (_, i) => `X-${i}: v`);
    expect(statusOf(() => parseRequest(request(lines)))).toBe(431);
    expect(statusOf(() => parseRequest(request(lines.slice(0, 100))))).toBe(null);
  });

  it('survives a header flood of 2,000+ headers with 431 (CVE-2024-37890 class)', () => {
    const lines = Array.from({ length: 2500 }, (_, i) => `a${i}: b`);
    expect(statusOf(() => parseRequest(request(lines), { maxHeaderBytes: 1 << 20 }))).toBe(431);
  });

  it('refuses malformed heads with 400', () => {
    const bad: Array<[string, Buffer]> = [
      ['bare LF', Buffer.from('GET / HTTP/1.1\nHost: a\n\n')],
      ['obs-fold', request(['Host: a', ' folded'])],
      ['space before colon', request(['Host : a'])],
      ['no colon', request(['Host a'])],
      ['empty name', request([': a'])],
      ['NUL in value', request(['Host: a\x00b'])],
      ['lone CR in value', request(['Host: a\rb'])],
      ['bad version', request(['Host: a'], 'GET / HTTP/1.x')],
      ['two spaces', request(['Host: a'], 'GET  / HTTP/1.1')],
      ['no target', request(['Host: a'], 'GET HTTP/1.1')],
    ];
    for (const [name, bytes] of bad) expect(statusOf(() => parseRequest(bytes)), name).toBe(400);
  });

  it('stays linear when a head is dribbled one byte at a time (CVE-2023-43669 class)', () => {
    // Feeding N bytes one by one must not look at O(N^2) bytes: each byte is scanned once.
    const bytes = request([...goodLines, 'X-Pad: ' + 'p'.repeat(8000)]);
    const parser = new RequestHeadParser();
    let result = null;
    for (let i = 0; i < bytes.length && result === null; i++) result = parser.push(bytes.subarray(i, i + 1));
    expect(result?.head.headers.get('x-pad')?.length).toBe(8000);
    expect(parser.bytesExamined).toBe(bytes.length);
  });
});

describe('validateUpgradeRequest (§4.2.1)', () => {
  const validate = (lines: string[], requestLine?: string) => validateUpgradeRequest(parseRequest(request(lines, requestLine)));

  it('accepts the RFC sample and extracts key, subprotocols and extensions', () => {
    const info = validate([
      ...goodLines,
      'Origin: http://example.com',
      'Sec-WebSocket-Protocol: chat, superchat',
      'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits, x-foo',
    ]);
    expect(info.key).toBe(KEY);
    expect(info.subprotocols).toEqual(['chat', 'superchat']);
    expect(info.extensions).toEqual([
      { name: 'permessage-deflate', params: [['client_max_window_bits', true]] },
      { name: 'x-foo', params: [] },
    ]);
    expect(info.origin).toBe('http://example.com');
  });

  it('accepts token lists and case variations in Upgrade and Connection', () => {
    expect(() =>
      validate(['Host: a', 'Upgrade: h2c, WebSocket', 'Connection: keep-alive, UPGRADE', `Sec-WebSocket-Key: ${KEY}`, 'Sec-WebSocket-Version: 13']),
    ).not.toThrow();
  });

  it('answers 405 with Allow: GET for other methods', () => {
    try {
      validate(goodLines, 'POST /chat HTTP/1.1');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(HandshakeError);
      expect((err as HandshakeError).status).toBe(405);
      expect((err as HandshakeError).headers).toContainEqual(['Allow', 'GET']);
    }
  });

  it('answers 400 for HTTP/1.0', () => {
    expect(statusOf(() => validate(goodLines, 'GET /chat HTTP/1.0'))).toBe(400);
  });

  it('answers 426 with Upgrade: websocket when the client did not ask for a WebSocket', () => {
    const lines = goodLines.filter((l) => !l.startsWith('Upgrade'));
    try {
      validate(lines);
      expect.unreachable();
    } catch (err) {
      expect((err as HandshakeError).status).toBe(426);
      expect((err as HandshakeError).headers).toContainEqual(['Upgrade', 'websocket']);
    }
  });

  it('answers 400 without the upgrade token in Connection', () => {
    expect(statusOf(() => validate(goodLines.map((l) => (l.startsWith('Connection') ? 'Connection: keep-alive' : l))))).toBe(400);
  });

  it('answers 400 without Host, or with two', () => {
    expect(statusOf(() => validate(goodLines.filter((l) => !l.startsWith('Host'))))).toBe(400);
    expect(statusOf(() => validate([...goodLines, 'Host: other']))).toBe(400);
  });

  it('answers 426 with Sec-WebSocket-Version: 13 for another or a missing version (§4.4)', () => {
    for (const lines of [goodLines.map((l) => (l.startsWith('Sec-WebSocket-Version') ? 'Sec-WebSocket-Version: 8' : l)), goodLines.filter((l) => !l.startsWith('Sec-WebSocket-Version'))]) {
      try {
        validate(lines);
        expect.unreachable();
      } catch (err) {
        expect((err as HandshakeError).status).toBe(426);
        expect((err as HandshakeError).headers).toContainEqual(['Sec-WebSocket-Version', '13']);
      }
    }
  });

  it('answers 400 for a missing, malformed or repeated key', () => {
    const withKey = (k: string) => goodLines.map((l) => (l.startsWith('Sec-WebSocket-Key') ? `Sec-WebSocket-Key: ${k}` : l));
    expect(statusOf(() => validate(goodLines.filter((l) => !l.startsWith('Sec-WebSocket-Key'))))).toBe(400);
    expect(statusOf(() => validate(withKey('short')))).toBe(400);
    expect(statusOf(() => validate(withKey(Buffer.alloc(20).toString('base64'))))).toBe(400);
    expect(statusOf(() => validate([...goodLines, `Sec-WebSocket-Key: ${KEY}`]))).toBe(400);
  });

  it('answers 400 for malformed Sec-WebSocket-Protocol and Sec-WebSocket-Extensions', () => {
    expect(statusOf(() => validate([...goodLines, 'Sec-WebSocket-Protocol: a b']))).toBe(400);
    expect(statusOf(() => validate([...goodLines, 'Sec-WebSocket-Extensions: x; =1']))).toBe(400);
  });

  it('answers hostile lists of 64 KiB of commas and spaces (CVE-2021-32640 class)', () => {
    const junk = ', '.repeat(32 * 1024);
    const head = parseRequest(request([...goodLines, `Sec-WebSocket-Protocol: ${junk}a`, `Sec-WebSocket-Extensions: ${junk}b`]), {
      maxHeaderBytes: 1 << 20,
    });
    const info = validateUpgradeRequest(head);
    expect(info.subprotocols).toEqual(['a']);
    expect(info.extensions).toEqual([{ name: 'b', params: [] }]);
  });
});

describe('origin and subprotocol selection', () => {
  it('isSameOrigin follows gorilla: no Origin passes, otherwise host must match case-insensitively', () => {
    expect(isSameOrigin(undefined, 'example.com')).toBe(true);
    expect(isSameOrigin('http://Example.COM', 'example.com')).toBe(true);
    expect(isSameOrigin('https://example.com:8443', 'example.com:8443')).toBe(true);
    expect(isSameOrigin('https://example.com:8443', 'example.com')).toBe(false);
    expect(isSameOrigin('http://evil.com', 'example.com')).toBe(false);
    expect(isSameOrigin('null', 'example.com')).toBe(false);
    expect(isSameOrigin('http://user@example.com', 'example.com')).toBe(false);
  });

  it('selectSubprotocol takes the server preference the client offered', () => {
    expect(selectSubprotocol(['a', 'b', 'c'], ['c', 'b'])).toBe('c');
    expect(selectSubprotocol(['a'], ['b'])).toBeUndefined();
    expect(selectSubprotocol([], ['b'])).toBeUndefined();
  });
});

describe('responses', () => {
  it('builds the 101 response of §4.2.2', () => {
    const res = buildAcceptResponse({ key: KEY, subprotocol: 'chat', headers: [['Set-Cookie', 'a=b']] }).toString('latin1');
    expect(res).toBe(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\nSet-Cookie: a=b\r\n\r\n',
    );
  });

  it('refuses header values with CR, LF or other control bytes, and reserved headers', () => {
    for (const value of ['a\r\nInjected: 1', 'a\nb', 'a\rb', 'a\x00', 'a\x7f']) {
      expect(() => buildAcceptResponse({ key: KEY, headers: [['X-Test', value]] })).toThrow(InvalidHeaderError);
    }
    expect(() => buildAcceptResponse({ key: KEY, headers: [['Bad Name', 'v']] })).toThrow(InvalidHeaderError);
    expect(() => buildAcceptResponse({ key: KEY, headers: [['Sec-WebSocket-Extensions', 'x']] })).toThrow(InvalidHeaderError);
    expect(() => buildAcceptResponse({ key: KEY, headers: [['X-Tab', 'a\tb']] })).not.toThrow();
  });

  it('builds an HTTP error response with a body and Connection: close', () => {
    const res = buildErrorResponse(426, 'upgrade required', [['Sec-WebSocket-Version', '13']]).toString();
    expect(res).toMatch(/^HTTP\/1\.1 426 Upgrade Required\r\n/);
    expect(res).toContain('Connection: close\r\n');
    expect(res).toContain('Sec-WebSocket-Version: 13\r\n');
    expect(res).toContain('Content-Length: 17\r\n');
    expect(res.endsWith('\r\n\r\nupgrade required\n')).toBe(true);
  });
});

describe('client handshake (§4.1)', () => {
  it('builds a request the server side accepts', () => {
    const key = generateKey();
    const bytes = buildUpgradeRequest({ target: '/chat?x=1', host: 'example.com:8080', key, subprotocols: ['a', 'b'], origin: 'http://example.com', headers: [['Cookie', 'c=1']] });
    const head = parseRequest(bytes);
    expect(head.target).toBe('/chat?x=1');
    const info = validateUpgradeRequest(head);
    expect(info).toMatchObject({ key, subprotocols: ['a', 'b'], origin: 'http://example.com', host: 'example.com:8080' });
    expect(head.headers.get('cookie')).toBe('c=1');
  });

  it('refuses reserved or unsafe request headers', () => {
    expect(() => buildUpgradeRequest({ target: '/', host: 'h', key: KEY, headers: [['Sec-WebSocket-Key', 'x']] })).toThrow(InvalidHeaderError);
    expect(() => buildUpgradeRequest({ target: '/', host: 'h', key: KEY, headers: [['X', 'a\r\nb: c']] })).toThrow(InvalidHeaderError);
    expect(() => buildUpgradeRequest({ target: '/ x', host: 'h', key: KEY })).toThrow(InvalidHeaderError);
    expect(() => buildUpgradeRequest({ target: '/', host: 'h', key: KEY, subprotocols: ['a b'] })).toThrow(InvalidHeaderError);
  });

  function response(lines: string[], status = 'HTTP/1.1 101 Switching Protocols') {
    const result = new ResponseHeadParser().push(Buffer.from([status, ...lines, '', ''].join('\r\n')));
    return result!.head;
  }
  const good = ['Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${computeAccept(KEY)}`];
  const expectations = { key: KEY, subprotocols: ['chat'], extensions: ['permessage-deflate'] };

  it('accepts a valid response', () => {
    expect(validateUpgradeResponse(response([...good, 'Sec-WebSocket-Protocol: chat']), expectations)).toEqual({ subprotocol: 'chat', extensions: [] });
  });

  const failures: Array<[string, string[], string?]> = [
    ['a status other than 101', good, 'HTTP/1.1 200 OK'],
    ['a missing Upgrade header', good.filter((l) => !l.startsWith('Upgrade'))],
    ['a wrong Upgrade header', good.map((l) => (l.startsWith('Upgrade') ? 'Upgrade: h2c' : l))],
    ['a missing Connection upgrade token', good.map((l) => (l.startsWith('Connection') ? 'Connection: close' : l))],
    ['a wrong accept value', good.map((l) => (l.startsWith('Sec-WebSocket-Accept') ? `Sec-WebSocket-Accept: ${computeAccept('x')}` : l))],
    ['a missing accept value', good.filter((l) => !l.startsWith('Sec-WebSocket-Accept'))],
    ['a subprotocol that was not offered', [...good, 'Sec-WebSocket-Protocol: other']],
    ['two subprotocols', [...good, 'Sec-WebSocket-Protocol: chat', 'Sec-WebSocket-Protocol: chat']],
    ['an extension that was not offered', [...good, 'Sec-WebSocket-Extensions: x-other']],
    ['a malformed extension header', [...good, 'Sec-WebSocket-Extensions: ;;']],
  ];
  for (const [name, lines, status] of failures) {
    it(`fails on ${name}`, () => {
      expect(() => validateUpgradeResponse(response(lines, status), expectations)).toThrow(BadHandshakeError);
    });
  }

  it('reports the status and headers of a refused handshake', () => {
    try {
      validateUpgradeResponse(response(['X-Why: nope'], 'HTTP/1.1 403 Forbidden'), expectations);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(BadHandshakeError);
      expect((err as BadHandshakeError).status).toBe(403);
      expect((err as BadHandshakeError).headers.get('x-why')).toBe('nope');
    }
  });
});
