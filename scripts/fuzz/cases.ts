/**
 * Fuzz cases: a sequence of client frames, valid and invalid, and the TCP chunking it is sent
 * in. Built from message-level actions (whole messages, fragmented or not, compressed or not;
 * pings, pongs and closes; raw random frames; absurd declared lengths), then mutated frame by
 * frame (FIN flipped, reserved bits set, mask dropped, lengths written long, frames swapped,
 * dropped or repeated), so that both well-formed traffic and every kind of rule-breaking occur.
 */
import { constants, deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import type { FuzzLimits } from './oracle.js';
import type { FrameSpec, LengthForm } from './wire.js';

export interface FuzzCase {
  /** The client offers permessage-deflate (no context takeover either way). */
  deflate: boolean;
  frames: FrameSpec[];
  /** Where the byte stream is cut into separate writes, as fractions of its length. */
  cuts: readonly number[];
}

/** The server's limits during fuzzing: small, so that the limits themselves are reached. */
export const FUZZ_LIMITS: FuzzLimits = { readLimit: 128 * 1024, maxFragments: 16 };

type Compression = 'none' | 'sync' | 'final' | 'garbage' | 'bomb';

interface DataAction {
  kind: 'data';
  opcode: 1 | 2;
  payload: Uint8Array;
  compression: Compression;
  /** Cut points of the (possibly compressed) payload into fragments. */
  cuts: readonly number[];
  /** Compressed (RSV1 set) even when permessage-deflate was not negotiated. */
  regardless: boolean;
}
interface ControlAction {
  kind: 'control';
  opcode: 0x8 | 0x9 | 0xa;
  payload: Uint8Array;
}
interface RawAction {
  kind: 'raw';
  first: number;
  masked: boolean;
  payload: Uint8Array;
}
interface DeclaredAction {
  kind: 'declared';
  opcode: number;
  length: bigint;
}
type Action = DataAction | ControlAction | RawAction | DeclaredAction;

type Mutation =
  | { kind: 'flipFin' | 'unmask' | 'swap' | 'drop' | 'repeat'; at: number }
  | { kind: 'rsv'; at: number; bits: number }
  | { kind: 'long'; at: number; form: LengthForm };

const BAD_UTF8: readonly number[][] = [[0xff], [0x80], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82, 0x41], [0xf8, 0x88, 0x80, 0x80, 0x80]];

const utf8Text = fc.string({ unit: 'binary', maxLength: 40 }).map((s) => new Uint8Array(Buffer.from(s, 'utf8')));
const invalidText = fc
  .tuple(utf8Text, fc.constantFrom(...BAD_UTF8), utf8Text)
  .map(([a, bad, b]) => new Uint8Array(Buffer.concat([a, Buffer.from(bad), b])));
/** Text cut in the middle of a character: invalid only if the message ends there. */
const truncatedText = fc.tuple(utf8Text, fc.constantFrom([0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xc3])).map(([a, tail]) => new Uint8Array(Buffer.concat([a, Buffer.from(tail)])));
const binary = fc.oneof(
  { weight: 8, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  // Sometimes long enough for a 64-bit length (and, over 128 KiB, for the read limit).
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 65_536, max: 140_000 }), fc.integer({ min: 0, max: 255 })).map(([n, b]) => new Uint8Array(n).fill(b)) },
);

const dataAction: fc.Arbitrary<DataAction> = fc.record({
  kind: fc.constant('data' as const),
  opcode: fc.constantFrom(1 as const, 2 as const),
  payload: fc.oneof({ weight: 10, arbitrary: utf8Text }, { weight: 1, arbitrary: invalidText }, { weight: 1, arbitrary: truncatedText }, { weight: 8, arbitrary: binary }),
  compression: fc.oneof(
    { weight: 6, arbitrary: fc.constant<Compression>('none') },
    { weight: 4, arbitrary: fc.constantFrom<Compression>('sync', 'final') },
    { weight: 1, arbitrary: fc.constantFrom<Compression>('garbage', 'bomb') },
  ),
  cuts: fc.oneof({ weight: 3, arbitrary: fc.constant<number[]>([]) }, { weight: 2, arbitrary: fc.array(fc.nat(), { maxLength: 20 }) }),
  regardless: fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
});

const closePayload = fc.oneof(
  fc.constant(new Uint8Array(0)),
  fc.tuple(fc.constantFrom(1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999), utf8Text).map(([code, reason]) => closeBytes(code, reason.subarray(0, 123))),
  fc.tuple(fc.constantFrom(0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535), fc.constant(new Uint8Array(0))).map(([code, reason]) => closeBytes(code, reason)),
  fc.constant(new Uint8Array([0x03])),
  fc.constantFrom(...BAD_UTF8).map((bad) => closeBytes(1000, new Uint8Array(bad))),
);

const controlAction: fc.Arbitrary<ControlAction> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('control' as const), opcode: fc.constantFrom(0x9 as const, 0xa as const), payload: fc.uint8Array({ maxLength: 125 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('control' as const), opcode: fc.constantFrom(0x9 as const, 0xa as const), payload: fc.uint8Array({ minLength: 126, maxLength: 130 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('control' as const), opcode: fc.constant(0x8 as const), payload: closePayload }) },
);

const rawAction: fc.Arbitrary<RawAction> = fc.record({
  kind: fc.constant('raw' as const),
  first: fc.integer({ min: 0, max: 255 }),
  masked: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  payload: fc.uint8Array({ maxLength: 140 }),
});

const declaredAction: fc.Arbitrary<DeclaredAction> = fc.record({
  kind: fc.constant('declared' as const),
  opcode: fc.constantFrom(0, 1, 2, 9),
  length: fc.oneof(
    fc.constantFrom(1n << 63n, (1n << 64n) - 1n, 1n << 53n, (1n << 53n) + 1n, 1n << 62n, BigInt(FUZZ_LIMITS.readLimit) + 1n),
    fc.bigInt({ min: BigInt(FUZZ_LIMITS.readLimit) + 1n, max: (1n << 64n) - 1n }),
  ),
});

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 14, arbitrary: dataAction },
  { weight: 5, arbitrary: controlAction },
  { weight: 1, arbitrary: rawAction },
  { weight: 1, arbitrary: declaredAction },
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constantFrom('flipFin' as const, 'unmask' as const, 'swap' as const, 'drop' as const, 'repeat' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('rsv' as const), at: fc.nat(), bits: fc.integer({ min: 1, max: 7 }) }),
  fc.record({ kind: fc.constant('long' as const), at: fc.nat(), form: fc.constantFrom<LengthForm>('form16', 'form64') }),
);

/** The generator of fuzz cases. */
export const fuzzCase: fc.Arbitrary<FuzzCase> = fc
  .record({
    deflate: fc.boolean(),
    actions: fc.array(action, { maxLength: 10 }),
    mutations: fc.oneof({ weight: 4, arbitrary: fc.constant<Mutation[]>([]) }, { weight: 1, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }) }),
    maskKeys: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 1, maxLength: 8 }),
    cuts: fc.oneof(fc.constant<number[]>([]), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 })),
  })
  .map(({ deflate, actions, mutations, maskKeys, cuts }) => {
    const frames = actions.flatMap((a) => framesOf(a, deflate));
    frames.forEach((f, i) => (f.maskKey = maskKeys[i % maskKeys.length]!));
    for (const m of mutations) mutate(frames, m);
    return { deflate, frames, cuts };
  });

function closeBytes(code: number, reason: Uint8Array): Uint8Array {
  const out = Buffer.alloc(2 + reason.length);
  out.writeUInt16BE(code);
  out.set(reason, 2);
  return new Uint8Array(out);
}

function frame(opcode: number, payload: Uint8Array, fin = true, rsv1 = false): FrameSpec {
  return { fin, rsv1, rsv2: false, rsv3: false, opcode, masked: true, maskKey: 0, payload, lengthForm: 'minimal' };
}

/** §7.2.1 (sync flush, trailer removed), a final block (§7.2.3.3 allows it), invalid DEFLATE, or a bomb. */
function compress(payload: Uint8Array, how: Compression): Uint8Array {
  switch (how) {
    case 'sync': {
      const out = deflateRawSync(payload, { finishFlush: constants.Z_SYNC_FLUSH });
      return out.subarray(0, out.length - 4);
    }
    case 'final':
      return deflateRawSync(payload);
    case 'garbage': {
      // Block type 3 is reserved (RFC 1951 §3.2.3): never valid, whatever follows.
      const out = Buffer.from(payload.length > 0 ? payload : [0]);
      out[0] = (out[0]! & 0xf9) | 0x06;
      return out;
    }
    case 'bomb': {
      const out = deflateRawSync(Buffer.alloc(FUZZ_LIMITS.readLimit * 4), { finishFlush: constants.Z_SYNC_FLUSH });
      return out.subarray(0, out.length - 4);
    }
    default:
      return payload;
  }
}

function framesOf(a: Action, deflate: boolean): FrameSpec[] {
  switch (a.kind) {
    case 'control':
      return [frame(a.opcode, a.payload)];
    case 'raw': {
      const f = frame(a.first & 0x0f, a.payload, (a.first & 0x80) !== 0, (a.first & 0x40) !== 0);
      f.rsv2 = (a.first & 0x20) !== 0;
      f.rsv3 = (a.first & 0x10) !== 0;
      f.masked = a.masked;
      return [f];
    }
    case 'declared': {
      const f = frame(a.opcode, new Uint8Array(0));
      f.declaredLength = a.length;
      return [f];
    }
    case 'data': {
      const compression = deflate || a.regardless ? a.compression : 'none';
      const bytes = compress(a.payload, compression);
      const points = [...new Set(a.cuts.map((c) => (bytes.length === 0 ? 0 : c % (bytes.length + 1))))].sort((x, y) => x - y);
      const edges = [0, ...points, bytes.length];
      const out: FrameSpec[] = [];
      for (let i = 0; i + 1 < edges.length; i++) {
        const last = i + 2 === edges.length;
        out.push(frame(i === 0 ? a.opcode : 0, bytes.subarray(edges[i]!, edges[i + 1]!), last, i === 0 && compression !== 'none'));
      }
      return out;
    }
  }
}

function mutate(frames: FrameSpec[], m: Mutation): void {
  if (frames.length === 0) return;
  const i = m.at % frames.length;
  const f = frames[i]!;
  switch (m.kind) {
    case 'flipFin':
      f.fin = !f.fin;
      break;
    case 'unmask':
      f.masked = false;
      break;
    case 'rsv':
      f.rsv1 = f.rsv1 !== ((m.bits & 4) !== 0);
      f.rsv2 = (m.bits & 2) !== 0;
      f.rsv3 = (m.bits & 1) !== 0;
      break;
    case 'long':
      if (f.declaredLength === undefined) f.lengthForm = m.form;
      break;
    case 'swap':
      if (i + 1 < frames.length) [frames[i], frames[i + 1]] = [frames[i + 1]!, f];
      break;
    case 'drop':
      frames.splice(i, 1);
      break;
    case 'repeat':
      frames.splice(i, 0, { ...f });
      break;
  }
}

/** A one-line summary of a case, for failure reports. */
export function describeCase(c: FuzzCase): string {
  const frames = c.frames.map((f) => {
    const bits = `${f.fin ? 'F' : '-'}${f.rsv1 ? '1' : '-'}${f.rsv2 ? '2' : '-'}${f.rsv3 ? '3' : '-'}${f.masked ? 'M' : '-'}`;
    const length = f.declaredLength !== undefined ? `declared ${f.declaredLength}` : `${f.payload.length}${f.lengthForm === 'minimal' ? '' : ` (${f.lengthForm})`}`;
    const bytes = f.payload.length <= 8 ? ` <${Buffer.from(f.payload).toString('hex')}>` : '';
    return `op${f.opcode.toString(16)} ${bits} ${length}${bytes}`;
  });
  return `deflate=${c.deflate}, ${c.frames.length} frames [${frames.join('; ')}], cuts ${c.cuts.length}`;
}
