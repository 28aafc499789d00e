/**
 * A message framed once and sent to many connections (gorilla's `PreparedMessage`): a broadcast
 * encodes the frame a single time instead of once per recipient.
 */
import { type DataMessageType, type MessageData, TextMessage, isDataMessageType, toBuffer } from './message.js';
import { encodeFrame } from './protocol/frame.js';
import { isValidUtf8 } from './protocol/utf8.js';

export class PreparedMessage {
  readonly type: DataMessageType;
  /** The payload, copied: changing the caller's buffer afterwards changes nothing. */
  readonly data: Buffer;
  private frame: Buffer | null = null;

  constructor(type: DataMessageType, data: MessageData) {
    if (!isDataMessageType(type)) throw new TypeError(`websocket: ${String(type)} is not a data message type`);
    this.type = type;
    this.data = Buffer.from(toBuffer(data));
    if (type === TextMessage && typeof data !== 'string' && !isValidUtf8(this.data)) {
      throw new TypeError('websocket: text message is not valid UTF-8');
    }
  }

  /** @internal The unmasked frame a server sends, encoded on first use. Clients mask each frame anew. */
  serverFrame(): Buffer {
    this.frame ??= encodeFrame({ opcode: this.type, payload: this.data });
    return this.frame;
  }
}
