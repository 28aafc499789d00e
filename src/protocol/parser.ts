/**
 * The incremental frame decoder. TCP delivers a byte stream in chunks of arbitrary size: a chunk
 * can hold many frames, or a sliver of one header. The parser accepts chunks of any size and
 * reports the same frames and the same errors however the bytes were split.
 *
 * It never buffers payload. Each header is reported as soon as it is complete (so a handler can
 * refuse a frame by its length before a byte of it is held), and payload bytes are reported as
 * they arrive, unmasked in place, as views into the caller's chunk. A frame that arrives whole in
 * one chunk is therefore reported as one view of that chunk, with no copy.
 */
import { Buffer } from 'node:buffer';
import { BufferView } from './buffer-view.js';
import { CloseMessageTooBig, CloseProtocolError } from './close.js';
import { ProtocolError } from './errors.js';
import { FIN, type FrameHeader, MAX_HEADER_LENGTH, RSV1, RSV2, RSV3 } from './frame.js';
import { SHORT_RANGE, applyMask, applyMaskShort } from './mask.js';

/** What a {@link FrameParser} reports to, frame by frame. */
export interface FrameHandler {
  /**
   * A frame header has been read. Throwing a `ProtocolError` here refuses the frame before any of
   * its payload is looked at.
   */
  onFrameHeader(header: FrameHeader): void;
  /** The next unmasked payload bytes of the current frame. Never called with zero bytes. */
  onFramePayload(data: Buffer): void;
  /** The current frame's payload is complete (called right after the header for empty payloads). */
  onFrameEnd(): void;
}

/** Options for a {@link FrameParser}. */
export interface FrameParserOptions {
  /**
   * Report every frame with the same header object, refilled for each (no allocation per frame).
   * The handler must then not keep a header past its frame's `onFrameEnd`. Default false.
   */
  reuseHeader?: boolean;
}

/**
 * The incremental frame decoder: feed it chunks of any size; it reports headers, unmasked payload pieces and frame ends.
 *
 * @example
 * ```ts
 * const parser = new FrameParser({
 *   onFrameHeader: (h) => console.log(h.opcode, h.payloadLength),
 *   onFramePayload: (data) => console.log(data.toString()),
 *   onFrameEnd: () => {},
 * });
 * parser.push(Buffer.from([0x81, 0x02, 0x68, 0x69])); // 1 2, then "hi"
 * ```
 */
export class FrameParser {
  private readonly handler: FrameHandler;
  /** The header being filled: reused for every frame, or null to make a fresh one each time. */
  private readonly shared: FrameHeader | null;
  /** Holds the start of a header split across chunks (at most 14 bytes), only until the header is whole. */
  private partialHeader: Buffer | null = null;
  private partialLength = 0;
  private current: FrameHeader | null = null;
  /** Payload bytes of the current frame not yet seen. */
  private remaining = 0;
  /** Payload bytes of the current frame already reported: the masking phase. */
  private delivered = 0;
  private error: ProtocolError | Error | null = null;
  private halted = false;

  constructor(handler: FrameHandler, options: FrameParserOptions = {}) {
    this.handler = handler;
    this.shared = options.reuseHeader === true ? emptyHeader() : null;
  }

  /**
   * Feeds the next chunk of the stream. Payload is unmasked in place, so the chunk belongs to the
   * parser (and whoever receives the payload views) from now on.
   * Throws the first `ProtocolError` met; once failed, every later call throws it again.
   * `memory` is `chunk.buffer` when the caller has read it already (each read of `.buffer` or
   * `.byteOffset` is a call into the engine, about 16 and 10 ns on Node 20).
   */
  push(chunk: Buffer, memory: ArrayBufferLike | null = null): void {
    if (this.error !== null) throw this.error;
    if (this.halted) return;
    try {
      this.parse(chunk, memory);
    } catch (err) {
      this.error = err as Error;
      throw err;
    }
  }

  /**
   * Stops parsing for good, even in the middle of a chunk: nothing after the peer's close frame,
   * or after a failure, is processed (§7.1.7).
   */
  halt(): void {
    this.halted = true;
  }

  /** True between frames: no header or payload is half read. */
  get atFrameBoundary(): boolean {
    return this.current === null && this.partialLength === 0;
  }

  private parse(chunk: Buffer, given: ArrayBufferLike | null): void {
    let pos = 0;
    const end = chunk.length;
    // Short payloads are unmasked through one view of the chunk, made when first needed; but a
    // view costs more than it saves on a chunk's one short payload (a quiet connection's read of
    // one small message), so the last payload of a chunk, when no view exists, goes byte by byte.
    let view: DataView | null = null;
    // Payload views are made on the chunk's memory directly (`buffer-view.ts`); its memory and
    // offset are read once, at the first payload.
    let memory = given;
    let base = -1;
    while (pos < end && !this.halted) {
      if (this.current === null) {
        const header = this.shared ?? emptyHeader();
        if (this.partialLength === 0) {
          if (!readFrameHeader(chunk, pos, end, header)) {
            this.keepPartialHeader(chunk, pos, end);
            return;
          }
          pos += header.headerLength;
        } else {
          // Complete a header that began in an earlier chunk.
          const had = this.partialLength;
          const take = Math.min(MAX_HEADER_LENGTH - had, end - pos);
          const partial = this.partialHeader!;
          chunk.copy(partial, had, pos, pos + take);
          if (!readFrameHeader(partial, 0, had + take, header)) {
            this.partialLength = had + take;
            return;
          }
          pos += header.headerLength - had;
          this.partialLength = 0;
          this.partialHeader = null;
        }
        this.startFrame(header);
        continue;
      }
      const n = Math.min(this.remaining, end - pos);
      if (base < 0) {
        memory ??= chunk.buffer;
        base = chunk.byteOffset;
      }
      const data = new BufferView(memory!, base + pos, n);
      if (this.current.masked) {
        if (n >= SHORT_RANGE || (view === null && pos + n === end)) applyMask(data, this.current.maskKey, 0, n, this.delivered);
        else applyMaskShort((view ??= new DataView(memory!, base, end)), this.current.maskKey, pos, pos + n, this.delivered);
      }
      pos += n;
      this.delivered += n;
      this.remaining -= n;
      this.handler.onFramePayload(data);
      if (this.remaining === 0) this.endFrame();
    }
  }

  private keepPartialHeader(chunk: Buffer, pos: number, end: number): void {
    // Memory of its own, not a slice of Node's shared 8 KiB pool: a peer that stops in the middle
    // of a header would keep the whole pool alive. Dropped once the header is whole, so a
    // connection keeps nothing of a header split long ago.
    this.partialHeader ??= Buffer.allocUnsafeSlow(MAX_HEADER_LENGTH);
    chunk.copy(this.partialHeader, 0, pos, end);
    this.partialLength = end - pos;
  }

  private startFrame(header: FrameHeader): void {
    this.current = header;
    this.remaining = header.payloadLength;
    this.delivered = 0;
    this.handler.onFrameHeader(header);
    if (header.payloadLength === 0) this.endFrame();
  }

  private endFrame(): void {
    this.current = null;
    this.handler.onFrameEnd();
  }
}

/**
 * Decodes the header at `bytes[offset, end)`; returns null when those bytes do not hold a whole
 * header yet. Rejects, before any payload is read:
 * - a 64-bit length with the most significant bit set (§5.2: "MUST be 0"), with 1002;
 * - a length above `Number.MAX_SAFE_INTEGER`, which no buffer could hold, with 1009;
 * - a length not in its shortest form (§5.2: "the minimal number of bytes MUST be used"), with 1002.
 * The other rules (opcodes, RSV bits, masking, control frame sizes) belong to the state machine.
 */
export function decodeFrameHeader(bytes: Uint8Array, offset: number, end: number): FrameHeader | null {
  const header = emptyHeader();
  return readFrameHeader(bytes, offset, end, header) ? header : null;
}

/** A header to be filled by {@link readFrameHeader}. */
export function emptyHeader(): FrameHeader {
  return { fin: false, rsv1: false, rsv2: false, rsv3: false, opcode: 0, masked: false, maskKey: 0, payloadLength: 0, headerLength: 0 };
}

/**
 * {@link decodeFrameHeader} into an existing object, for a parser that reuses one header for
 * every frame (no allocation per frame). Returns false, leaving `into` partly written, when the
 * bytes do not hold a whole header yet.
 */
export function readFrameHeader(bytes: Uint8Array, offset: number, end: number, into: FrameHeader): boolean {
  if (end - offset < 2) return false;
  const b0 = bytes[offset]!;
  const b1 = bytes[offset + 1]!;
  const masked = (b1 & 0x80) !== 0;
  const len7 = b1 & 0x7f;
  let pos = offset + 2;
  let payloadLength: number;
  if (len7 < 126) {
    payloadLength = len7;
  } else if (len7 === 126) {
    if (end - pos < 2) return false;
    payloadLength = (bytes[pos]! << 8) | bytes[pos + 1]!;
    pos += 2;
    if (payloadLength < 126) throw new ProtocolError(CloseProtocolError, 'frame length not minimally encoded');
  } else {
    if (end - pos < 8) return false;
    const top = bytes[pos]!;
    if (top & 0x80) throw new ProtocolError(CloseProtocolError, 'frame length has the most significant bit set');
    const high = ((top << 24) | (bytes[pos + 1]! << 16) | (bytes[pos + 2]! << 8) | bytes[pos + 3]!) >>> 0;
    const low = ((bytes[pos + 4]! << 24) | (bytes[pos + 5]! << 16) | (bytes[pos + 6]! << 8) | bytes[pos + 7]!) >>> 0;
    pos += 8;
    // 2^53 - 1 has 21 bits in the high word.
    if (high > 0x1fffff) throw new ProtocolError(CloseMessageTooBig, 'frame length above 2^53 - 1');
    payloadLength = high * 0x100000000 + low;
    if (payloadLength < 0x10000) throw new ProtocolError(CloseProtocolError, 'frame length not minimally encoded');
  }
  let maskKey = 0;
  if (masked) {
    if (end - pos < 4) return false;
    maskKey = ((bytes[pos]! << 24) | (bytes[pos + 1]! << 16) | (bytes[pos + 2]! << 8) | bytes[pos + 3]!) >>> 0;
    pos += 4;
  }
  into.fin = (b0 & FIN) !== 0;
  into.rsv1 = (b0 & RSV1) !== 0;
  into.rsv2 = (b0 & RSV2) !== 0;
  into.rsv3 = (b0 & RSV3) !== 0;
  into.opcode = b0 & 0x0f;
  into.masked = masked;
  into.maskKey = maskKey;
  into.payloadLength = payloadLength;
  into.headerLength = pos - offset;
  return true;
}
