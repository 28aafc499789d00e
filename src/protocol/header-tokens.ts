/**
 * Linear-time parsers for the list-valued headers of the handshake (RFC 9110 §5.6, RFC 6455 §9.1).
 * Each is a single left-to-right pass over the value with no regular expressions, so a hostile
 * header of 64 KiB of commas and spaces costs 64 Ki steps, never a backtracking blow-up.
 */

/** tchar (RFC 9110 §5.6.2): the characters allowed in a token. */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;

/** Whether the character code is a `tchar`, allowed in a token (RFC 9110 §5.6.2). */
export function isTokenChar(code: number): boolean {
  return code < 128 && TCHAR[code] === 1;
}

/** Whether `value` is a token (RFC 9110 §5.6.2): one or more `tchar`, as subprotocol names must be (§4.1). */
export function isToken(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) if (!isTokenChar(value.charCodeAt(i))) return false;
  return true;
}

function isOws(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/**
 * Splits a comma-separated list of tokens (`1#token`), skipping empty elements and optional
 * whitespace. Returns null when an element is not a token.
 */
export function parseTokenList(value: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  const n = value.length;
  while (i < n) {
    while (i < n && (isOws(value.charCodeAt(i)) || value.charCodeAt(i) === 0x2c)) i++;
    if (i === n) break;
    const start = i;
    while (i < n && isTokenChar(value.charCodeAt(i))) i++;
    if (i === start) return null;
    out.push(value.slice(start, i));
    while (i < n && isOws(value.charCodeAt(i))) i++;
    if (i < n && value.charCodeAt(i) !== 0x2c) return null;
  }
  return out;
}

/** Whether a token list contains `token`, compared case-insensitively (for Connection and Upgrade). */
export function tokenListHas(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  const tokens = parseTokenList(value);
  if (tokens === null) return false;
  const wanted = token.toLowerCase();
  for (const t of tokens) if (t.toLowerCase() === wanted) return true;
  return false;
}

/** One element of a `Sec-WebSocket-Extensions` header: a name and its parameters, in order. */
export interface ExtensionOffer {
  /** The extension's name, e.g. `permessage-deflate`. */
  name: string;
  /** Parameters as `[name, value]`; `true` for a parameter without a value. Duplicates are kept. */
  params: Array<[string, string | true]>;
}

/**
 * Parses `Sec-WebSocket-Extensions` (RFC 6455 §9.1):
 *
 *   extension-list = 1#extension
 *   extension      = extension-token *( ";" extension-param )
 *   extension-param = token [ "=" (token | quoted-string) ]
 *
 * A quoted value must still be a token once unquoted (§9.1). Returns null on any syntax error.
 */
export function parseExtensions(value: string): ExtensionOffer[] | null {
  const out: ExtensionOffer[] = [];
  const n = value.length;
  let i = 0;
  const skipOws = (): void => {
    while (i < n && isOws(value.charCodeAt(i))) i++;
  };
  const readToken = (): string | null => {
    const start = i;
    while (i < n && isTokenChar(value.charCodeAt(i))) i++;
    return i === start ? null : value.slice(start, i);
  };
  while (i < n) {
    // Empty list elements are allowed: ", , ext".
    while (i < n && (isOws(value.charCodeAt(i)) || value.charCodeAt(i) === 0x2c)) i++;
    if (i === n) break;
    const name = readToken();
    if (name === null) return null;
    const params: Array<[string, string | true]> = [];
    skipOws();
    while (i < n && value.charCodeAt(i) === 0x3b /* ; */) {
      i++;
      skipOws();
      const param = readToken();
      if (param === null) return null;
      skipOws();
      let paramValue: string | true = true;
      if (i < n && value.charCodeAt(i) === 0x3d /* = */) {
        i++;
        skipOws();
        const v = value.charCodeAt(i) === 0x22 /* " */ ? readQuoted() : readToken();
        if (v === null || !isToken(v)) return null;
        paramValue = v;
        skipOws();
      }
      params.push([param, paramValue]);
    }
    if (i < n && value.charCodeAt(i) !== 0x2c) return null;
    out.push({ name, params });
  }
  return out;

  function readQuoted(): string | null {
    i++; // opening quote
    let text = '';
    while (i < n) {
      const c = value.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return text;
      }
      if (c === 0x5c /* \ */) {
        if (i + 1 >= n) return null;
        text += value[i + 1];
        i += 2;
        continue;
      }
      text += value[i];
      i++;
    }
    return null; // unterminated
  }
}

/** Formats extensions for a response or request header. */
export function formatExtensions(extensions: readonly ExtensionOffer[]): string {
  return extensions
    .map((e) => [e.name, ...e.params.map(([k, v]) => (v === true ? k : `${k}=${v}`))].join('; '))
    .join(', ');
}
