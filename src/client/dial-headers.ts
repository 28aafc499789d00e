/**
 * The extra header lines of a client's upgrade request: the dialer's own, those given to one
 * `dial()` (which replace the dialer's lines of the same name), and what survives a redirect.
 */
import { InvalidHeaderError } from '../protocol/errors.js';
import { assertHeaderField } from '../protocol/handshake.js';
import { type HeadersInit, headerEntries } from '../protocol/headers.js';

export type HeaderLines = Array<[string, string]>;

/** Headers the handshake writes itself (§4.1); the caller sets them through options. */
function reservedReason(lower: string): string | undefined {
  if (lower === 'upgrade' || lower === 'connection') return 'the handshake sets it';
  if (lower === 'sec-websocket-protocol') return 'use the subprotocols option';
  if (lower === 'sec-websocket-extensions') return 'extensions are negotiated by the dialer';
  if (lower.startsWith('sec-websocket-')) return 'the handshake sets it';
  return undefined;
}

/** Refuses reserved names and anything that cannot be sent safely (CR, LF, other control bytes). */
export function checkHeaderLines(lines: HeaderLines): HeaderLines {
  for (const [name, value] of lines) {
    const why = reservedReason(name.toLowerCase());
    if (why !== undefined) throw new InvalidHeaderError(`websocket: the ${name} header cannot be set: ${why}`);
    assertHeaderField(name, value);
  }
  return lines;
}

/** The dialer's headers with its `origin` option added as an `Origin` line. */
export function dialerHeaders(headers: HeadersInit | undefined, origin: string | undefined): HeaderLines {
  const lines = checkHeaderLines(headerEntries(headers));
  if (origin !== undefined) {
    if (lines.some(([name]) => name.toLowerCase() === 'origin')) throw new InvalidHeaderError('websocket: Origin is given twice: as an option and as a header');
    lines.push(['Origin', origin]);
    checkHeaderLines(lines);
  }
  return lines;
}

/** `base` with every line whose name `override` also has replaced by `override`'s lines. */
export function mergeHeaderLines(base: HeaderLines, override: HeadersInit | undefined): HeaderLines {
  const extra = checkHeaderLines(headerEntries(override));
  const replaced = new Set(extra.map(([name]) => name.toLowerCase()));
  return [...base.filter(([name]) => !replaced.has(name.toLowerCase())), ...extra];
}

/** Credentials and the host they were meant for do not follow a redirect to another host. */
const HOST_BOUND_HEADERS = new Set(['authorization', 'cookie', 'host']);

export function withoutHostBoundHeaders(lines: HeaderLines): HeaderLines {
  return lines.filter(([name]) => !HOST_BOUND_HEADERS.has(name.toLowerCase()));
}

export function hasHeader(lines: HeaderLines, name: string): boolean {
  const lower = name.toLowerCase();
  return lines.some(([n]) => n.toLowerCase() === lower);
}
