/**
 * Counting what a server sends back, at the least cost: the load generator must never be the
 * bottleneck, so it walks frame headers and skips payloads without looking at them (no unmasking,
 * no UTF-8, no copies, no objects per frame).
 */

/** Counts complete messages in a byte stream of any chunking. */
export interface MessageCounter {
  /** Feeds the next chunk; returns how many messages it completed. */
  push(chunk: Buffer): number;
  /** Messages completed so far. */
  readonly messages: number;
}

/** For a raw TCP echo: every message is `messageLength` bytes, so counting is division. */
export class FixedSizeCounter implements MessageCounter {
  messages = 0;
  private partial = 0;

  constructor(private readonly messageLength: number) {}

  push(chunk: Buffer): number {
    const total = this.partial + chunk.length;
    const done = Math.floor(total / this.messageLength);
    this.partial = total - done * this.messageLength;
    this.messages += done;
    return done;
  }
}

const MAX_HEADER = 14;

/**
 * Walks server-to-client WebSocket frames (RFC 6455 §5.2) and counts whole data messages
 * (frames with FIN set and a data opcode) and close frames. Optionally collects the payload of
 * data frames, to check an echo once before the measured load starts.
 */
export class FrameCounter implements MessageCounter {
  messages = 0;
  /** Frames that had RSV1 set: compressed messages (RFC 7692). */
  compressedFrames = 0;
  /** Frames that had the MASK bit set, which a server must never send (§5.1). */
  maskedFrames = 0;
  closeReceived = false;
  /** When set, payload pieces of data frames are appended here (copies: chunks may be reused). */
  capture: Buffer[] | null = null;

  private remaining = 0;
  private opcode = 0;
  private fin = false;
  private readonly header = Buffer.alloc(MAX_HEADER);
  private headerBytes = 0;

  push(chunk: Buffer): number {
    const before = this.messages;
    const end = chunk.length;
    let pos = 0;
    while (pos < end) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, end - pos);
        if (this.capture !== null && this.opcode < 8) this.capture.push(Buffer.from(chunk.subarray(pos, pos + n)));
        pos += n;
        this.remaining -= n;
        if (this.remaining === 0) this.endFrame();
        continue;
      }
      if (this.headerBytes === 0) {
        const used = this.readHeader(chunk, pos, end - pos);
        if (used > 0) {
          pos += used;
          if (this.remaining === 0) this.endFrame();
          continue;
        }
      }
      // A header split across chunks: gather it in `header`.
      const had = this.headerBytes;
      const take = Math.min(MAX_HEADER - had, end - pos);
      chunk.copy(this.header, had, pos, pos + take);
      const used = this.readHeader(this.header, 0, had + take);
      if (used === 0) {
        this.headerBytes = had + take;
        return this.messages - before;
      }
      this.headerBytes = 0;
      pos += used - had;
      if (this.remaining === 0) this.endFrame();
    }
    return this.messages - before;
  }

  /** Reads a header from `bytes[at, at + available)`; returns its length, or 0 if incomplete. */
  private readHeader(bytes: Uint8Array, at: number, available: number): number {
    if (available < 2) return 0;
    const b0 = bytes[at]!;
    const b1 = bytes[at + 1]!;
    let size = b1 & 0x80 ? 6 : 2;
    let length = b1 & 0x7f;
    if (length === 126) {
      size += 2;
      if (available < size) return 0;
      length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    } else if (length === 127) {
      size += 8;
      if (available < size) return 0;
      const high = ((bytes[at + 2]! << 24) | (bytes[at + 3]! << 16) | (bytes[at + 4]! << 8) | bytes[at + 5]!) >>> 0;
      const low = ((bytes[at + 6]! << 24) | (bytes[at + 7]! << 16) | (bytes[at + 8]! << 8) | bytes[at + 9]!) >>> 0;
      length = high * 0x100000000 + low;
    }
    if (available < size) return 0;
    if (b1 & 0x80) this.maskedFrames++;
    if (b0 & 0x40) this.compressedFrames++;
    this.fin = (b0 & 0x80) !== 0;
    this.opcode = b0 & 0x0f;
    this.remaining = length;
    return size;
  }

  private endFrame(): void {
    if (this.opcode === 0x8) this.closeReceived = true;
    else if (this.opcode < 0x8 && this.fin) this.messages++;
  }
}
