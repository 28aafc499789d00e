/**
 * The parts of `ws` the micro-benchmarks drive directly: its frame `Receiver` (exported by the
 * package, untyped by @types/ws), its masking helpers (`lib/buffer-util.js`, which the package's
 * exports map hides, so it is loaded by file path), and a server-side `WebSocket` put on a stream
 * with `setSocket`, as its server does. Typed here by what we call, nothing more.
 */
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';

const require = createRequire(import.meta.url);

export interface WsReceiver {
  write(chunk: Buffer): boolean;
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
}

export interface WsReceiverOptions {
  isServer: boolean;
  maxPayload: number;
  binaryType?: 'nodebuffer';
}

export const WsReceiverClass = (require('ws') as { Receiver: new (options: WsReceiverOptions) => WsReceiver }).Receiver;

interface WsBufferUtil {
  /** Unmasks `buffer` in place with the 4-byte `mask`: what ws's receiver runs on every payload. */
  unmask(buffer: Buffer, mask: Buffer): void;
}

export const wsBufferUtil = require(join(dirname(require.resolve('ws')), 'lib', 'buffer-util.js')) as WsBufferUtil;

/** The server side of a `ws` connection, as far as an echo uses it. */
export interface WsServerSide {
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): this;
  send(data: Buffer, options: { binary: boolean }): void;
}

interface WsUpgradedSocket extends WsServerSide {
  setSocket(socket: Duplex, head: Buffer, options: { allowSynchronousEvents: boolean; maxPayload: number; skipUTF8Validation: boolean }): void;
}

const WsWebSocketClass = (require('ws') as { WebSocket: new (address: null, protocols: undefined, options: object) => WsUpgradedSocket }).WebSocket;

/**
 * A `ws` WebSocket on `socket`, made the way its `WebSocketServer` makes one for an upgraded
 * socket (its defaults, and the 64 MiB message limit of `servers/ws-echo.ts`).
 */
export function attachWsServerSocket(socket: Duplex): WsServerSide {
  const ws = new WsWebSocketClass(null, undefined, {});
  ws.setSocket(socket, Buffer.alloc(0), { allowSynchronousEvents: true, maxPayload: 64 * 1024 * 1024, skipUTF8Validation: false });
  return ws;
}
