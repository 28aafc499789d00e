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
import type { ProtocolError } from './errors.js';
import { type FrameHeader, MAX_HEADER_LENGTH, emptyHeader, readFrameHeader } from './frame.js';
import { applyMask } from './mask.js';

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
  /** Holds the start of a header split across chunks; at most 14 bytes, allocated on first need. */
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
   */
  push(chunk: Buffer): void {
    if (this.error !== null) throw this.error;
    if (this.halted) return;
    try {
      this.parse(chunk);
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

  private parse(chunk: Buffer): void {
    let pos = 0;
    const end = chunk.length;
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
        }
        this.startFrame(header);
        continue;
      }
      const n = Math.min(this.remaining, end - pos);
      const data = chunk.subarray(pos, pos + n);
      pos += n;
      if (this.current.masked) applyMask(data, this.current.maskKey, 0, n, this.delivered);
      this.delivered += n;
      this.remaining -= n;
      this.handler.onFramePayload(data);
      if (this.remaining === 0) this.endFrame();
    }
  }

  private keepPartialHeader(chunk: Buffer, pos: number, end: number): void {
    // From Node's shared pool: no buffer of its own for every idle connection.
    this.partialHeader ??= Buffer.allocUnsafe(MAX_HEADER_LENGTH);
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
