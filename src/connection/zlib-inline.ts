/**
 * zlib on the calling thread, on the very stream (and so the very context) a direction keeps.
 *
 * Each write to a Node zlib stream is a trip through libuv's thread pool: about 25 µs of hand-offs
 * (measured on the bench machine) however small the message, where deflating 1 KiB of JSON takes
 * 2 µs and inflating it 4 µs. For small messages the trip is nearly the whole cost. Node's public
 * sync functions (`deflateRawSync`) make a new stream per call, so they cannot keep a context
 * between messages (RFC 7692 §7.2.3); the stream's own native handle can run a write synchronously
 * (`writeSync`, what those functions use inside). That handle is not public API: whether it behaves
 * as expected is checked once, on first use, by a round trip, and without it every message takes
 * the thread pool as before.
 */
import { Buffer } from 'node:buffer';
import { type DeflateRaw, type InflateRaw, createDeflateRaw, createInflateRaw, constants } from 'node:zlib';

type ZlibStream = DeflateRaw | InflateRaw;

/** The native side of a Node zlib stream, as `lib/zlib.js` drives it. */
interface NativeZlib {
  writeSync(flush: number, input: Uint8Array, inOffset: number, inLength: number, output: Uint8Array, outOffset: number, outLength: number): void;
}

/** Fields of a Node zlib stream that are not public: the handle, and where a write reports [output left, input left]. */
interface StreamInternals {
  _handle?: NativeZlib | null;
  _writeState?: Uint32Array;
}

/** What a run on this thread did. */
export interface InlineRun {
  /** Input bytes zlib took. Fewer than given when `emit` asked to stop, or the stream ended. */
  consumed: number;
  /** The DEFLATE stream ended (a final block, RFC 7692 §7.2.3.4): zlib takes nothing more. */
  ended: boolean;
  /** zlib rejected the input; the stream is destroyed. */
  error: Error | null;
}

/** Output is produced into this, then copied out at its size (the caller keeps the pieces). */
const SCRATCH_SIZE = 64 * 1024;
let scratch: Buffer | null = null;

let probed: boolean | null = null;
let enabled = true;

/** Whether messages may run on this thread: the handle passed its check, and tests have not turned it off. */
export function inlineZlibAvailable(): boolean {
  probed ??= probe();
  return probed && enabled;
}

/** @internal For tests: runs every message through the thread pool (false) or allows this thread again (true). */
export function setInlineZlib(allowed: boolean): void {
  enabled = allowed;
}

/** Whether `stream` can take a write on this thread now: alive, and no write of its own still in the pool. */
export function canRunInline(stream: ZlibStream): boolean {
  return inlineZlibAvailable() && (stream as unknown as StreamInternals)._handle != null && stream.writableLength === 0;
}

/**
 * Writes `input` to `stream` with a sync flush, synchronously, handing each piece of output (a
 * copy) to `emit`; stops early when `emit` returns false. Call only when `canRunInline(stream)`.
 */
export function runInline(stream: ZlibStream, input: Buffer, emit: (piece: Buffer) => boolean): InlineRun {
  const internals = stream as unknown as StreamInternals;
  const state = internals._writeState!;
  const out = (scratch ??= Buffer.allocUnsafe(SCRATCH_SIZE));
  let offset = 0;
  for (;;) {
    const handle = internals._handle;
    if (handle == null) return { consumed: offset, ended: false, error: new Error('zlib stream closed') };
    const available = input.length - offset;
    handle.writeSync(constants.Z_SYNC_FLUSH, input, offset, available, out, 0, SCRATCH_SIZE);
    // An error destroys the stream at once (its 'error' event follows on the next tick).
    if (stream.errored !== null) return { consumed: offset, ended: false, error: stream.errored };
    const outLeft = state[0]!;
    const inLeft = state[1]!;
    offset += available - inLeft;
    const produced = SCRATCH_SIZE - outLeft;
    let goOn = true;
    if (produced > 0) {
      const piece = Buffer.allocUnsafe(produced);
      out.copy(piece, 0, 0, produced);
      goOn = emit(piece);
    }
    // Output space left over means zlib is done with what it was given; with input left too, the
    // stream has ended (as `lib/zlib.js` concludes for its asynchronous writes).
    if (outLeft > 0) return { consumed: offset, ended: inLeft > 0, error: null };
    if (!goOn) return { consumed: offset, ended: false, error: null };
  }
}

/** A round trip with context: two messages deflated on one stream, inflated on another. */
function probe(): boolean {
  let deflate: DeflateRaw | null = null;
  let inflate: InflateRaw | null = null;
  try {
    deflate = createDeflateRaw();
    inflate = createInflateRaw();
    const internals = deflate as unknown as StreamInternals;
    if (typeof internals._handle?.writeSync !== 'function' || !(internals._writeState instanceof Uint32Array)) return false;
    const text = Buffer.from('permessage-deflate, run on this thread; permessage-deflate, run on this thread');
    const run = (stream: ZlibStream, input: Buffer): Buffer => {
      const pieces: Buffer[] = [];
      const result = runInline(stream, input, (piece) => pieces.push(piece) > 0);
      if (result.error !== null || result.consumed !== input.length) throw result.error ?? new Error('input left over');
      return Buffer.concat(pieces);
    };
    const first = run(deflate, text);
    const second = run(deflate, text); // refers back to the first: the context was kept
    const back = Buffer.concat([run(inflate, first), run(inflate, second)]);
    return second.length < first.length / 2 && back.equals(Buffer.concat([text, text]));
  } catch {
    return false;
  } finally {
    deflate?.close();
    inflate?.close();
  }
}
