import { deepStrictEqual } from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BufferView, viewConstructorFrom } from '../../src/protocol/buffer-view.js';
import { FrameParser } from '../../src/protocol/parser.js';

/** What a view must be: a Buffer like any other, over the very memory it was made on. */
function expectPlainView(view: Buffer, memory: ArrayBuffer, offset: number, length: number): void {
  expect(Buffer.isBuffer(view)).toBe(true);
  expect(Object.getPrototypeOf(view)).toBe(Buffer.prototype);
  expect(view.buffer).toBe(memory);
  expect(view.byteOffset).toBe(offset);
  expect(view.length).toBe(length);
  // Users compare received payloads with `deepStrictEqual`, which checks prototypes too.
  deepStrictEqual(view, Buffer.from(Buffer.from(memory, offset, length)));
}

describe('BufferView', () => {
  it('property: a view is a plain Buffer over memory[offset, offset + length), sharing it', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 300 }).chain((bytes) =>
          fc.tuple(fc.constant(bytes), fc.nat(bytes.length)).chain(([b, offset]) => fc.tuple(fc.constant(b), fc.constant(offset), fc.nat(b.length - offset))),
        ),
        ([bytes, offset, length]) => {
          const memory = new ArrayBuffer(bytes.length);
          new Uint8Array(memory).set(bytes);
          for (const make of [BufferView, viewConstructorFrom(undefined)]) {
            const view = new make(memory, offset, length);
            expectPlainView(view, memory, offset, length);
            if (length > 0) {
              view[0] = view[0]! ^ 0xff;
              expect(new Uint8Array(memory)[offset]).toBe(bytes[offset]! ^ 0xff);
              view[0] = bytes[offset]!;
            }
          }
        },
      ),
    );
  });

  it('falls back to Buffer.from where the species constructor does not make Buffers', () => {
    class Plain extends Uint8Array {}
    const candidates: unknown[] = [undefined, null, Buffer, Plain, Uint8Array, () => 1, 42];
    for (const species of candidates) {
      const make = viewConstructorFrom(species);
      expect(make).not.toBe(species);
      const memory = new ArrayBuffer(8);
      expectPlainView(new make(memory, 2, 5), memory, 2, 5);
    }
  });

  it('uses the species constructor on Node, as subarray does', () => {
    const species = (Buffer as unknown as Record<symbol, unknown>)[Symbol.species];
    expect(viewConstructorFrom(species)).toBe(species);
    expect(BufferView).toBe(species);
  });

  it('payloads the parser reports are deep-equal to Buffers of the same bytes', () => {
    const payloads: Buffer[] = [];
    const parser = new FrameParser({ onFrameHeader() {}, onFramePayload: (data) => payloads.push(data), onFrameEnd() {} });
    parser.push(Buffer.from([0x82, 0x03, 1, 2, 3]));
    deepStrictEqual(payloads, [Buffer.from([1, 2, 3])]);
  });
});
