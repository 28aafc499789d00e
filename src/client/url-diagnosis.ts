/**
 * Why a string is not a usable URL, in words: WHATWG's `URL` parser only says "Invalid URL", and
 * a user who typed `ws://` or `ws://host:80800` needs to know which part to fix.
 */

/** `scheme://authority`, loosely, to look at the parts the parser refused. */
const SCHEME_AND_AUTHORITY = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)/;
/** The port at the end of an authority (after an IPv6 literal's bracket, if any). */
const PORT = /^(?:\[[^\]]*\]|[^:]*):(.*)$/;

/** The reason `input` cannot be parsed as a URL (the parser threw on it). */
export function whyUnparseable(input: string): string {
  if (input.trim() === '') return 'the URL is empty';
  const parts = SCHEME_AND_AUTHORITY.exec(input.trim());
  if (parts === null) return 'it has no scheme (start it with ws:// or wss://)';
  const authority = parts[2]!.slice(parts[2]!.lastIndexOf('@') + 1);
  if (authority === '' || authority.startsWith(':')) return 'it has no host';
  if (authority.startsWith('[') && !authority.includes(']')) return `bad IPv6 address ${authority} (no closing bracket)`;
  const port = PORT.exec(authority)?.[1];
  if (port !== undefined && port !== '' && !/^\d+$/.test(port)) return `bad port ${JSON.stringify(port)} (a number from 1 to 65535)`;
  if (port !== undefined && Number(port) > 65535) return `bad port ${port} (a number from 1 to 65535)`;
  if (/\s/.test(input.trim())) return 'it contains a space';
  if (authority.startsWith('[')) return `bad IPv6 address ${authority}`;
  return `bad host ${JSON.stringify(authority)}`;
}

/** The URL for an error message, without the password it may carry (`ws://user:secret@host`). */
export function withoutPassword(input: string): string {
  return input.replace(/^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#@:]*):[^/?#@]*@/, '$1:***@');
}

/** A hint for a URL that parsed with a scheme nobody meant: `localhost:8080` reads as scheme `localhost:`. */
export function missingSchemeHint(input: string): string {
  return String(input).includes('://') ? '' : ` (did you mean ws://${String(input)}?)`;
}
