/**
 * XOR with a repeated 32-bit word, 16 bytes at a step, in WebAssembly SIMD: the long ranges of
 * masking (RFC 6455 §5.3). JavaScript's typed arrays XOR one 32-bit word at a time with a bounds
 * check each, about 4.7–7.5 GB/s here; this does 8.8–14.7 GB/s including the copy into the
 * module's memory and back (WebAssembly cannot work on a Node buffer in place).
 *
 * The module is built here from its bytes, no file and no dependency. In the text format:
 *
 *   (module
 *     (memory (export "memory") 1)                      ;; one 64 KiB page
 *     (func (export "xor") (param $at i32) (param $length i32) (param $word i32)
 *       (local $end i32) (local $k v128)
 *       (local.set $k (i32x4.splat (local.get $word)))
 *       (local.set $end (i32.add (local.get $at) (i32.and (local.get $length) (i32.const -16))))
 *       (block $done
 *         (loop $next
 *           (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
 *           (v128.store (local.get $at) (v128.xor (v128.load (local.get $at)) (local.get $k)))
 *           (local.set $at (i32.add (local.get $at) (i32.const 16)))
 *           (br $next))))
 *
 * Where WebAssembly or its SIMD is unavailable (`--jitless`, an embedder that turns it off),
 * {@link xorRepeated} says so and masking stays in JavaScript.
 */
import { Buffer } from 'node:buffer';
import { span } from './buffer-view.js';

/** Bytes masked per call into the module: its whole memory. A multiple of 16 (and so of 4: the phase is kept). */
const PIECE = 64 * 1024;

function leb128(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

const section = (id: number, bytes: number[]): number[] => [id, ...leb128(bytes.length), ...bytes];
const name = (text: string): number[] => [text.length, ...Buffer.from(text, 'latin1')];

const XOR_BODY = [
  0x02, 0x01, 0x7f, 0x01, 0x7b, //                  locals: $end i32, $k v128
  0x20, 0x02, 0xfd, 0x11, 0x21, 0x04, //            $k = i32x4.splat($word)
  0x20, 0x00, 0x20, 0x01, 0x41, 0x70, 0x71, 0x6a, 0x21, 0x03, // $end = $at + ($length & -16)
  0x02, 0x40, 0x03, 0x40, //                        block $done, loop $next
  0x20, 0x00, 0x20, 0x03, 0x4f, 0x0d, 0x01, //      br_if $done ($at >= $end)
  0x20, 0x00, 0x20, 0x00, 0xfd, 0x00, 0x00, 0x00, // v128.load at $at
  0x20, 0x04, 0xfd, 0x51, 0xfd, 0x0b, 0x00, 0x00, // xor $k, v128.store at $at
  0x20, 0x00, 0x41, 0x10, 0x6a, 0x21, 0x00, //      $at += 16
  0x0c, 0x00, 0x0b, 0x0b, 0x0b, //                  br $next; end loop, block, function
];

const MODULE = new Uint8Array([
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
  ...section(1, [0x01, 0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x00]), // types: (i32 i32 i32) -> ()
  ...section(3, [0x01, 0x00]), // functions: one, of type 0
  ...section(5, [0x01, 0x00, 0x01]), // memories: one, 1 page
  ...section(7, [0x02, ...name('memory'), 0x02, 0x00, ...name('xor'), 0x00, 0x00]), // exports
  ...section(10, [0x01, ...leb128(XOR_BODY.length), ...XOR_BODY]), // code
]);

interface Simd {
  xor: (at: number, length: number, word: number) => void;
  memory: Uint8Array;
  /** The view of `memory` the last result was copied out of. */
  result: Uint8Array;
}

/** Compiled at first use; null when this runtime cannot. */
let simd: Simd | null | undefined;

/** The little of the WebAssembly JS API used here (this project's TypeScript libraries do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: { xor: Simd['xor']; memory: { buffer: ArrayBuffer } } };
}

function load(): Simd | null {
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (wasm === undefined) return null;
  try {
    const { exports } = new wasm.Instance(new wasm.Module(MODULE));
    const memory = new Uint8Array(exports.memory.buffer);
    return { xor: exports.xor, memory, result: memory };
  } catch {
    return null; // compiled without SIMD, or WebAssembly turned off
  }
}

/**
 * XORs `source[start, end)` with `word` repeated, `word` being the four mask bytes rotated to the
 * phase of `source[start]` as a little-endian 32-bit number, and writes the result to `target`
 * from `at`: by default back in place. Returns false, having done nothing, when WebAssembly SIMD
 * is not available.
 */
export function xorRepeated(source: Uint8Array, start: number, end: number, word: number, target = source, at = start): boolean {
  // `null` means unavailable (or turned off by `useSimd`): only `undefined` loads the module.
  if (simd === undefined) simd = load();
  const s = simd;
  if (s === null) return false;
  const { memory, xor } = s;
  for (let from = start; from < end; from += PIECE) {
    const stop = Math.min(end, from + PIECE);
    const n = stop - from;
    memory.set(span(source, from, stop));
    // Rounded up to whole 16-byte steps: the bytes past `n` are scratch, never copied back.
    xor(0, (n + 15) & ~15, word);
    target.set(resultView(s, n), at + (from - start));
  }
  return true;
}

/**
 * The first `n` bytes of the module's memory. Messages of one size tend to follow one another,
 * so the last view is kept: a view costs about as much as copying a kilobyte.
 */
function resultView(s: Simd, n: number): Uint8Array {
  if (s.result.length !== n) s.result = s.memory.subarray(0, n);
  return s.result;
}

/** @internal For tests: masking without WebAssembly (false), or with it again (true). */
export function useSimd(enabled: boolean): void {
  simd = enabled ? load() : null;
}
