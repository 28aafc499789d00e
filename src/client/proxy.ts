/**
 * Choosing an HTTP proxy for a WebSocket URL: an explicit one, or one from the environment
 * (`HTTPS_PROXY` for wss:, `HTTP_PROXY` for ws:, minus the hosts listed in `NO_PROXY`), as Go's
 * `http.ProxyFromEnvironment` which gorilla's dialer uses.
 */
import { env as processEnv } from 'node:process';
import { BlockList, isIP } from 'node:net';
import { InvalidUrlError } from './dial-errors.js';
import { whyUnparseable, withoutPassword } from './url-diagnosis.js';

/** Picks the proxy for a target URL (`ws:` or `wss:`); null or undefined for a direct connection. */
export type ProxyResolver = (target: URL) => string | URL | null | undefined;

/** A proxy URL (`http://user:pass@proxy:3128`), or a function choosing one per target. */
export type ProxyOption = string | URL | ProxyResolver;

/** The proxy to use for `target`, validated, or null to connect directly. */
export function resolveProxy(option: ProxyOption | undefined, target: URL): URL | null {
  if (option === undefined) return null;
  const chosen = typeof option === 'function' ? option(target) : option;
  if (chosen === null || chosen === undefined || chosen === '') return null;
  let url: URL;
  try {
    url = new URL(chosen);
  } catch {
    throw new InvalidUrlError(`websocket: invalid proxy URL ${JSON.stringify(withoutPassword(String(chosen)))}: ${whyUnparseable(String(chosen))}`);
  }
  // A TLS connection to the proxy itself (https:) would need its own TLS settings: not offered.
  if (url.protocol !== 'http:') throw new InvalidUrlError(`websocket: unsupported proxy scheme ${url.protocol} (only http: proxies are supported)`);
  if (url.hostname === '') throw new InvalidUrlError('websocket: the proxy URL has no host');
  return url;
}

/**
 * A {@link ProxyResolver} that reads the environment at each dial: `https_proxy`/`HTTPS_PROXY`
 * for `wss:` URLs, `http_proxy`/`HTTP_PROXY` for `ws:` URLs (the first one set and not blank), and
 * `no_proxy`/`NO_PROXY` for exceptions. A value without a scheme (`proxy:3128`) means `http://`.
 *
 * @example
 * ```ts
 * const dialer = new Dialer({ proxy: proxyFromEnvironment });
 * ```
 */
export function proxyFromEnvironment(target: URL, env: NodeJS.ProcessEnv = processEnv): string | null {
  const secure = target.protocol === 'wss:' || target.protocol === 'https:';
  const value = secure ? firstSet(env.https_proxy, env.HTTPS_PROXY) : firstSet(env.http_proxy, env.HTTP_PROXY);
  if (value === '') return null;
  const hostname = target.hostname.startsWith('[') ? target.hostname.slice(1, -1) : target.hostname;
  const port = target.port === '' ? (secure ? 443 : 80) : Number(target.port);
  if (noProxyMatches(firstSet(env.no_proxy, env.NO_PROXY), hostname, port)) return null;
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
}

/** The first variable that is set and not blank, trimmed; '' when none is. */
function firstSet(...values: Array<string | undefined>): string {
  for (const v of values) if (v !== undefined && v.trim() !== '') return v.trim();
  return '';
}

/**
 * Whether a `NO_PROXY` list exempts `hostname:port`. Entries are comma- or space-separated:
 * `*` (everything), a domain (`example.com` also covers `a.example.com`; a leading `.` or `*.`
 * is the same), an IP address, a CIDR block (`10.0.0.0/8`), each optionally with `:port`.
 */
export function noProxyMatches(noProxy: string, hostname: string, port: number): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  for (const raw of noProxy.split(/[\s,]+/)) {
    if (raw === '') continue;
    if (raw === '*') return true;
    const entry = splitEntry(raw.toLowerCase());
    if (entry.port !== undefined && entry.port !== port) continue;
    if (entry.host.includes('/')) {
      if (cidrContains(entry.host, host)) return true;
    } else if (isIP(entry.host) !== 0) {
      if (sameAddress(entry.host, host)) return true;
    } else {
      const domain = entry.host.replace(/^\*?\./, '').replace(/\.$/, '');
      if (domain !== '' && (host === domain || host.endsWith(`.${domain}`))) return true;
    }
  }
  return false;
}

/** `host`, `host:port`, `[v6]`, `[v6]:port`, a bare IPv6 address or a CIDR block (no port). */
function splitEntry(entry: string): { host: string; port: number | undefined } {
  if (entry.startsWith('[')) {
    const end = entry.indexOf(']');
    const rest = end < 0 ? '' : entry.slice(end + 1);
    return { host: entry.slice(1, end < 0 ? undefined : end), port: /^:\d+$/.test(rest) ? Number(rest.slice(1)) : undefined };
  }
  if (entry.includes('/') || isIP(entry) === 6) return { host: entry, port: undefined };
  const match = /^(.*):(\d+)$/.exec(entry);
  return match === null ? { host: entry, port: undefined } : { host: match[1]!, port: Number(match[2]) };
}

function cidrContains(cidr: string, host: string): boolean {
  const slash = cidr.indexOf('/');
  const network = cidr.slice(0, slash);
  const bits = Number(cidr.slice(slash + 1));
  const family = isIP(network);
  if (family === 0 || !Number.isInteger(bits) || isIP(host) !== family) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (bits < 0 || bits > (family === 4 ? 32 : 128)) return false;
  const list = new BlockList();
  list.addSubnet(network, bits, type);
  return list.check(host, type);
}

function sameAddress(a: string, b: string): boolean {
  const family = isIP(a);
  if (family === 0 || family !== isIP(b)) return false;
  const list = new BlockList();
  list.addAddress(a, family === 4 ? 'ipv4' : 'ipv6');
  return list.check(b, family === 4 ? 'ipv4' : 'ipv6');
}
