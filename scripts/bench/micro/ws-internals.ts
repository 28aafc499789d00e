/**
 * The parts of `ws` the micro-benchmarks drive directly: its frame `Receiver` (exported by the
 * package, untyped by @types/ws) and its masking helpers (`lib/buffer-util.js`, which the package's
 * exports map hides, so it is loaded by file path). Typed here by what we call, nothing more.
 */
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';

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
