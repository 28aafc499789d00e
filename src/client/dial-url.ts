/**
 * What a WebSocket URL means for the dialer (RFC 6455 §3): where to connect, whether to use TLS,
 * and what to put in the request line and the `Host` header.
 */
import { InvalidUrlError } from './dial-errors.js';
import { missingSchemeHint, whyUnparseable, withoutPassword } from './url-diagnosis.js';

export interface DialTarget {
  /** The URL as dialed, with an `http:`/`https:` scheme turned into `ws:`/`wss:`. */
  url: URL;
  secure: boolean;
  /** The host to connect to: a name or an IP address, IPv6 without brackets. */
  hostname: string;
  port: number;
  /** The `Host` header (§4.1 item 4): the port only when it is not the default one. */
  host: string;
  /** The request-target: path and query (§4.1 item 3). */
  target: string;
  /** Credentials in the URL (`ws://user:pass@host`), decoded. */
  credentials: { username: string; password: string } | undefined;
}

const SCHEMES: Readonly<Record<string, 'ws:' | 'wss:'>> = { 'ws:': 'ws:', 'wss:': 'wss:', 'http:': 'ws:', 'https:': 'wss:' };

/**
 * Parses a URL to dial. `http:` and `https:` are accepted as `ws:` and `wss:` (as browsers do), so
 * that a redirect's `Location` can use either; `base` resolves a relative `Location`.
 */
export function parseDialUrl(input: string | URL, base?: URL): DialTarget {
  const invalid = (why: string): InvalidUrlError => new InvalidUrlError(`websocket: invalid URL ${JSON.stringify(withoutPassword(String(input)))}: ${why}`);
  let url: URL;
  try {
    url = new URL(input, base);
  } catch {
    throw invalid(whyUnparseable(String(input)));
  }
  const scheme = SCHEMES[url.protocol];
  if (scheme === undefined) throw invalid(`unsupported scheme ${url.protocol} (use ws: or wss:)${missingSchemeHint(String(input))}`);
  // Switching between special schemes keeps everything else; the default port follows the scheme.
  if (url.protocol !== scheme) url.protocol = scheme;
  // §3: fragment identifiers are meaningless in WebSocket URIs and must not be used.
  if (url.hash !== '' || String(input).includes('#')) throw invalid('a WebSocket URL cannot have a fragment (#...; RFC 6455 §3)');
  if (url.hostname === '') throw invalid('it has no host');
  if (url.port === '0') throw invalid('port 0 cannot be dialed');
  const secure = scheme === 'wss:';
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
  const credentials =
    url.username === '' && url.password === ''
      ? undefined
      : { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
  return { url, secure, hostname, port, host: url.host, target: `${url.pathname || '/'}${url.search}`, credentials };
}

/** `host:port` with IPv6 literals in brackets, as in a CONNECT request (RFC 9110 §9.3.6). */
export function authority(hostname: string, port: number): string {
  return `${hostname.includes(':') ? `[${hostname}]` : hostname}:${port}`;
}
