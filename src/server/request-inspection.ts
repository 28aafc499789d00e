/**
 * gorilla's helpers for looking at a request before upgrading it, for a `node:http` request or
 * the {@link UpgradeRequest} that `serve()` hands over.
 */
import type { IncomingMessage } from 'node:http';
import { parseTokenList, tokenListHas } from '../protocol/header-tokens.js';
import { HttpHeaders } from '../protocol/headers.js';
import type { UpgradeRequest } from './upgrade-request.js';

/** The subprotocols a request offers (gorilla's `Subprotocols`). */
export function subprotocols(request: IncomingMessage | UpgradeRequest): string[] {
  if ('subprotocols' in request && Array.isArray(request.subprotocols)) return request.subprotocols;
  const header = (request as IncomingMessage).headers['sec-websocket-protocol'];
  const value = Array.isArray(header) ? header.join(', ') : header;
  return value === undefined ? [] : (parseTokenList(value) ?? []);
}

/** Whether a request asks for a WebSocket upgrade (gorilla's `IsWebSocketUpgrade`). */
export function isWebSocketUpgrade(request: IncomingMessage | UpgradeRequest): boolean {
  const get = (name: string): string | undefined => {
    if (request.headers instanceof HttpHeaders) return request.headers.get(name);
    const v = (request as IncomingMessage).headers[name];
    return Array.isArray(v) ? v.join(', ') : v;
  };
  return tokenListHas(get('connection'), 'upgrade') && tokenListHas(get('upgrade'), 'websocket');
}
