/** The few bytes the chaos client writes by hand: where to connect, and close frame bodies. */

/** Host, port and request-target of a `ws://` URL (`http://` is taken as `ws://`). */
export function parseTarget(url: string): { host: string; port: number; path: string } {
  const parsed = new URL(url);
  const host = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
  return { host, port: Number(parsed.port || 80), path: `${parsed.pathname || '/'}${parsed.search}` };
}

/**
 * A close frame body with any code, valid or not (the library's own encoder refuses invalid
 * ones, which is the point of sending them here).
 */
export function encodeCloseFrameBody(code: number, reason: string): Buffer {
  const body = Buffer.alloc(2 + Buffer.byteLength(reason));
  body.writeUInt16BE(code, 0);
  body.write(reason, 2);
  return body;
}
