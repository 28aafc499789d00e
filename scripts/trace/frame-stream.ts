/**
 * One direction of a WebSocket connection, decoded for display: bytes in, one line per frame out.
 * Frames are read with the core's `FrameParser` (masked payloads come out unmasked); nothing is
 * checked beyond what the parser needs, so broken frames are shown rather than refused.
 *
 * With permessage-deflate, each direction keeps one inflater for the whole connection: with
 * context takeover a message may refer back to earlier ones (RFC 7692 §7.2.2), and without it a
 * kept window does no harm. Only the first bytes of each inflated message are kept.
 */
import { Decompressor, type InflateJob } from '../../src/connection/permessage-deflate.js';
import { type FrameHeader, Opcode, isControlOpcode } from '../../src/protocol/frame.js';
import { type FrameHandler, FrameParser } from '../../src/protocol/parser.js';
import { type Direction, type FrameSummary, arrow, formatFrame, formatInflated } from './format.js';
import type { OrderedOutput } from './ordered-output.js';

export interface FrameStreamOptions {
  from: Direction;
  /** Most payload bytes shown per frame (and per inflated message). */
  previewBytes: number;
  /** permessage-deflate was negotiated: RSV1 on a data message's first frame means compressed. */
  deflate: boolean;
  out: OrderedOutput;
  /** Put before each line, e.g. `[#3] `. */
  tag?: string;
}

interface Frame {
  header: FrameHeader;
  preview: Buffer[];
  previewLength: number;
}

interface InflatingMessage {
  opcode: number;
  job: InflateJob | null;
  preview: Buffer[];
  previewLength: number;
  inflatedLength: number;
  /** Fills in the reserved line; set when the message's last frame has been shown. */
  report: ((text: string) => void) | null;
  done: boolean;
  failure: Error | null;
}

/** The compressed-message part of a data message in progress. */
interface MessageState {
  opcode: number;
  compressed: boolean;
  inflating: InflatingMessage | null;
}

export class FrameStream implements FrameHandler {
  private readonly options: FrameStreamOptions;
  private readonly parser = new FrameParser(this);
  private readonly tag: string;
  private frame: Frame | null = null;
  private message: MessageState | null = null;
  private decompressor: Decompressor | null = null;
  /** Why compressed messages can no longer be inflated, once zlib has failed. */
  private inflateFailure: string | null = null;
  private readonly inflating = new Set<InflatingMessage>();
  private failed = false;

  constructor(options: FrameStreamOptions) {
    this.options = options;
    this.tag = options.tag ?? '';
  }

  /** The next bytes of this direction. They are unmasked in place: pass a copy of what is forwarded. */
  push(chunk: Buffer): void {
    if (this.failed) return;
    try {
      this.parser.push(chunk);
    } catch (err) {
      // The parser refuses what no frame header may say (§5.2); nothing after it can be framed.
      this.failed = true;
      this.print(`${arrow(this.options.from)} undecodable: ${(err as Error).message}; the rest of this direction is not shown`);
    }
  }

  /** The connection is gone: finish the inflations under way, then free zlib. */
  end(): void {
    if (this.frame !== null) this.print(`${arrow(this.options.from)} connection ended inside a frame (${this.frame.header.payloadLength} bytes announced)`);
    this.frame = null;
    this.decompressor?.closeWhenDone();
  }

  onFrameHeader(header: FrameHeader): void {
    this.frame = { header, preview: [], previewLength: 0 };
    if (isControlOpcode(header.opcode)) return;
    if (header.opcode !== Opcode.Continuation) {
      // A new data message (if one was in progress, the sender broke §5.4; show it anyway).
      this.abandonMessage();
      const compressed = this.options.deflate && header.rsv1;
      this.message = { opcode: header.opcode, compressed, inflating: compressed ? this.startInflating(header.opcode) : null };
    }
  }

  onFramePayload(data: Buffer): void {
    const frame = this.frame!;
    const room = this.options.previewBytes - frame.previewLength;
    if (room > 0) {
      const piece = data.subarray(0, room);
      frame.preview.push(piece);
      frame.previewLength += piece.length;
    }
    const inflating = this.message?.inflating;
    if (!isControlOpcode(frame.header.opcode) && inflating?.job != null) this.decompressor?.write(inflating.job, data);
  }

  onFrameEnd(): void {
    const { header, preview } = this.frame!;
    this.frame = null;
    const control = isControlOpcode(header.opcode);
    const message = control ? null : this.message;
    const summary: FrameSummary = {
      header,
      preview: Buffer.concat(preview),
      messageOpcode: message?.opcode ?? 0,
      compressed: message?.compressed ?? false,
    };
    this.print(formatFrame(this.options.from, summary));
    if (message === null || !header.fin) return;
    this.message = null;
    if (message.compressed) this.finishInflating(message);
  }

  private startInflating(opcode: number): InflatingMessage | null {
    if (this.inflateFailure !== null) return null;
    this.decompressor ??= new Decompressor(15, false);
    const state: InflatingMessage = { opcode, job: null, preview: [], previewLength: 0, inflatedLength: 0, report: null, done: false, failure: null };
    state.job = this.decompressor.begin({
      push: (piece) => {
        state.inflatedLength += piece.length;
        const room = this.options.previewBytes - state.previewLength;
        if (room > 0) {
          state.preview.push(Buffer.from(piece.subarray(0, room)));
          state.previewLength += Math.min(room, piece.length);
        }
      },
      done: () => {
        state.done = true;
        this.report(state);
      },
      fail: (err) => this.onInflateFailure(err),
    });
    this.inflating.add(state);
    return state;
  }

  private finishInflating(message: MessageState): void {
    const state = message.inflating;
    if (state === null) {
      this.print(`${arrow(this.options.from)} message not inflated: ${this.inflateFailure}`);
      return;
    }
    state.report = this.options.out.reserve();
    if (state.job !== null) this.decompressor?.end(state.job);
    this.report(state);
  }

  private report(state: InflatingMessage): void {
    if (state.report === null || (!state.done && state.failure === null)) return;
    this.inflating.delete(state);
    const from = this.options.from;
    if (state.failure !== null) {
      state.report(`${this.tag}${arrow(from)} message not inflated: ${state.failure.message}`);
      return;
    }
    const summary = {
      opcode: state.opcode,
      compressedLength: state.job?.bytes ?? 0,
      inflatedLength: state.inflatedLength,
      preview: Buffer.concat(state.preview),
    };
    state.report(`${this.tag}${formatInflated(from, summary)}`);
  }

  /** zlib refused the data: every message still inflating (or to come) is reported as not inflated. */
  private onInflateFailure(err: Error): void {
    this.inflateFailure = `inflate failed earlier (${err.message})`;
    for (const state of this.inflating) {
      state.failure = err;
      this.report(state);
    }
    if (this.message?.inflating != null) this.message.inflating = null;
  }

  /**
   * A data message cut short by another: its inflation can never finish. The messages before it
   * still are; later ones get a fresh inflater.
   */
  private abandonMessage(): void {
    const inflating = this.message?.inflating;
    this.message = null;
    if (inflating == null) return;
    this.inflating.delete(inflating);
    this.decompressor?.closeWhenDone();
    this.decompressor = null;
  }

  private print(line: string): void {
    this.options.out.line(`${this.tag}${line}`);
  }
}
