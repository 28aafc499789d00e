/**
 * A message framed once and sent to many connections (gorilla's `PreparedMessage`): a broadcast
 * encodes the frame a single time instead of once per recipient. With permessage-deflate and no
 * context takeover on the sending side, the compressed form is shared too, one per compression
 * setting; with context takeover each connection compresses it with its own state.
 */
import { Buffer } from 'node:buffer';
import { constants, deflateRaw } from 'node:zlib';
import { deflateMessageNow } from './compressor.js';
import { type DataMessageType, type MessageData, TextMessage, isDataMessageType, toBuffer } from './message.js';
import { deflatedPayload, zlibWindowBits } from '../protocol/deflate-codec.js';
import { encodeFrame } from '../protocol/frame.js';
import { isValidUtf8 } from '../protocol/utf8.js';

/** How a connection compresses prepared messages. */
export interface PreparedCompression {
  level: number;
  windowBits: number;
  memLevel: number;
  /** No context takeover: one compressed form serves every connection with these settings. */
  shareable: boolean;
}

/**
 * A message framed once, to send to many connections with `Conn.writePreparedMessage`.
 *
 * @example
 * ```ts
 * const prepared = new PreparedMessage(TextMessage, JSON.stringify(update));
 * for (const conn of subscribers) void conn.writePreparedMessage(prepared).catch(() => conn.closeNow());
 * ```
 */
export class PreparedMessage {
  /** `TextMessage` or `BinaryMessage`. */
  readonly type: DataMessageType;
  /** The payload, copied: changing the caller's buffer afterwards changes nothing. */
  readonly data: Buffer;
  private frame: Buffer | null = null;
  private readonly compressed = new Map<string, Promise<Buffer>>();
  private readonly compressedFrames = new Map<string, Promise<Buffer>>();

  constructor(type: DataMessageType, data: MessageData) {
    if (!isDataMessageType(type)) throw new TypeError(`websocket: ${String(type)} is not a data message type`);
    this.type = type;
    this.data = Buffer.from(toBuffer(data));
    if (type === TextMessage && typeof data !== 'string' && !isValidUtf8(this.data)) {
      throw new TypeError('websocket: text message is not valid UTF-8');
    }
  }

  /** @internal The unmasked, uncompressed frame a server sends, encoded on first use. */
  serverFrame(): Buffer {
    this.frame ??= encodeFrame({ opcode: this.type, payload: this.data });
    return this.frame;
  }

  /** @internal The payload deflated once per setting (RFC 7692 §7.2.1, trailer removed). */
  compressedPayload(settings: PreparedCompression): Promise<Buffer> {
    const key = `${settings.level}/${settings.windowBits}/${settings.memLevel}`;
    let payload = this.compressed.get(key);
    if (payload === undefined) {
      const now = deflateMessageNow(this.data, settings.windowBits, settings.level, settings.memLevel);
      payload = now !== null ? Promise.resolve(now) : new Promise<Buffer>((resolve, reject) => {
        const options = {
          level: settings.level,
          memLevel: settings.memLevel,
          windowBits: zlibWindowBits(settings.windowBits),
          finishFlush: constants.Z_SYNC_FLUSH,
        };
        deflateRaw(this.data, options, (err, out) => (err ? reject(err) : resolve(deflatedPayload(out))));
      });
      this.compressed.set(key, payload);
    }
    return payload;
  }

  /** @internal The compressed server frame (RSV1 set), once per setting. */
  compressedServerFrame(settings: PreparedCompression): Promise<Buffer> {
    const key = `${settings.level}/${settings.windowBits}/${settings.memLevel}`;
    let frame = this.compressedFrames.get(key);
    if (frame === undefined) {
      frame = this.compressedPayload(settings).then((payload) => encodeFrame({ opcode: this.type, rsv1: true, payload }));
      this.compressedFrames.set(key, frame);
    }
    return frame;
  }
}
