/**
 * Autobahn category 6, UTF-8 (§5.6, §8.1): text messages must be valid UTF-8 as a whole, however
 * they are split into frames and TCP chops; valid ones are echoed, invalid ones fail the
 * connection with 1007, and fail fast: the close must come once the first byte that cannot
 * belong to valid UTF-8 has arrived, while the rest of the message is still unsent. Each corpus
 * sample runs three ways: in one frame (Autobahn's case), one byte per frame, and as one frame in
 * 1-byte TCP chops.
 */
import type { Peer } from '../harness/peer.js';
import type { ConformanceCase } from '../harness/run-cases.js';
import { type FrameSpec, continuation, text } from '../harness/wire.js';
import { utf8FailIndex } from '../harness/utf8.js';
import { pieces } from './payloads.js';
import { UTF8_CORPUS, type Utf8Sample } from './utf8-corpus.js';

const KOSME = Buffer.from('cebae1bdb9cf83cebcceb5', 'hex');
const HELLO_UTF8 = Buffer.from('Hello-µ@ßöäüàá-UTF-8!!', 'utf8');
/** κόσμε, a surrogate (invalid at its second byte, index 12), then "edited". */
const INVALID = Buffer.concat([KOSME, Buffer.from('eda080', 'hex'), Buffer.from('edited')]);

/** One text message split into frames of the given payloads (the first a text frame, FIN on the last). */
function fragments(parts: readonly Buffer[]): FrameSpec[] {
  return parts.map((p, i) => (i === 0 ? text(p, parts.length === 1) : continuation(p, i === parts.length - 1)));
}

const echoed = (id: string, title: string, frames: readonly FrameSpec[], expected: Buffer | string): ConformanceCase => ({
  id,
  title,
  async run(peer) {
    await peer.send(frames);
    await peer.expectMessage('text', expected);
    await peer.closeNormally();
  },
});

/** Where the connection must fail: the offending byte, or the end for a text that is only cut short. */
function failPoint(bytes: Buffer): number {
  const at = utf8FailIndex(bytes);
  if (at < 0) throw new Error(`test data error: ${bytes.toString('hex')} is valid UTF-8`);
  return at;
}

/** Sends `bytes` one byte per frame up to the failing byte, never completing the message; expects 1007. */
async function failFastInFrames(peer: Peer, bytes: Buffer): Promise<void> {
  const at = failPoint(bytes);
  const frames = fragments(pieces(bytes, 1));
  // Up to and including the offending byte, in frames that do not end the message.
  const sent = at < bytes.length ? frames.slice(0, at + 1).map((f) => ({ ...f, fin: false })) : frames;
  await peer.send(sent);
  await peer.expectFailure(1007);
}

/** Writes one text frame in 1-byte chops up to the failing byte, never completing it; expects 1007. */
async function failFastInChops(peer: Peer, bytes: Buffer): Promise<void> {
  const at = failPoint(bytes);
  const frame = peer.encode([text(bytes)]);
  const header = frame.length - bytes.length;
  await peer.write(frame.subarray(0, header + Math.min(at + 1, bytes.length)), { chop: 1 });
  await peer.expectFailure(1007);
}

function corpusCases(sample: Utf8Sample, group: string): ConformanceCase[] {
  const { id, bytes, valid } = sample;
  const what = `${group}: ${bytes.toString('hex')}`;
  if (valid) {
    return [
      echoed(id, `${what}, valid, in one frame, is echoed`, [text(bytes)], bytes),
      echoed(id, `${what}, valid, one byte per frame, is echoed`, fragments(pieces(bytes, 1)), bytes),
      {
        id,
        title: `${what}, valid, in 1-byte TCP chops, is echoed`,
        async run(peer) {
          await peer.send(text(bytes), { chop: 1 });
          await peer.expectMessage('text', bytes);
          await peer.closeNormally();
        },
      },
    ];
  }
  return [
    {
      id,
      title: `${what}, invalid, in one frame, fails with 1007`,
      async run(peer) {
        await peer.send(text(bytes));
        await peer.expectFailure(1007);
      },
    },
    { id, title: `${what}, invalid, one byte per frame, fails with 1007 at the offending byte`, run: (peer) => failFastInFrames(peer, bytes) },
    { id, title: `${what}, invalid, in 1-byte TCP chops, fails with 1007 at the offending byte`, run: (peer) => failFastInChops(peer, bytes) },
  ];
}

/** Autobahn 6.4: fail fast. The valid first part is accepted; the close follows the invalid part at once. */
const PART1 = KOSME;
const PART2 = Buffer.from('f4908080', 'hex'); // U+110000 in UTF-8's bit pattern: above U+10FFFF
const PART3 = Buffer.from('edited');
const WHOLE = Buffer.concat([PART1, PART2, PART3]);

function failFastInFramesCase(id: string, first: Buffer, second: Buffer, title: string): ConformanceCase {
  return {
    id,
    title,
    async run(peer) {
      await peer.send(text(first, false));
      await peer.roundTrip('accepted?'); // the first part was taken, and the connection is open
      await peer.send(continuation(second, false));
      await peer.expectFailure(1007); // the rest of the message is never sent
    },
  };
}

function failFastInChopsCase(id: string, first: Buffer, second: Buffer, title: string): ConformanceCase {
  return {
    id,
    title,
    async run(peer) {
      const frame = peer.encode([text(WHOLE)]);
      const header = frame.length - WHOLE.length;
      await peer.write(frame.subarray(0, header + first.length));
      await peer.expectQuiet(100); // inside a frame no ping can check that the first part was accepted
      await peer.write(frame.subarray(header + first.length, header + first.length + second.length));
      await peer.expectFailure(1007);
    },
  };
}

export const utf8Cases: ConformanceCase[] = [
  echoed('6.1.1', 'an empty text message is echoed', [text('')], ''),
  echoed('6.1.2', 'a text message of 3 empty fragments is echoed, empty', [text('', false), continuation('', false), continuation('')], ''),
  echoed(
    '6.1.3',
    'a text message of an empty fragment, a fragment with payload and an empty one is echoed',
    [text('', false), continuation('middle frame payload', false), continuation('')],
    'middle frame payload',
  ),
  echoed('6.2.1', 'valid UTF-8 with 2-byte code points, in one frame, is echoed', [text(HELLO_UTF8)], HELLO_UTF8),
  echoed('6.2.2', 'valid UTF-8 in 2 fragments split between code points is echoed', fragments([HELLO_UTF8.subarray(0, 11), HELLO_UTF8.subarray(11)]), HELLO_UTF8),
  echoed('6.2.3', 'valid UTF-8 one byte per frame (frames end inside code points) is echoed', fragments(pieces(HELLO_UTF8, 1)), HELLO_UTF8),
  echoed('6.2.4', 'valid UTF-8 with 3-byte code points, one byte per frame, is echoed', fragments(pieces(KOSME, 1)), KOSME),
  {
    id: '6.3.1',
    title: 'invalid UTF-8 (a surrogate) in one frame fails with 1007',
    async run(peer) {
      await peer.send(text(INVALID));
      await peer.expectFailure(1007);
    },
  },
  { id: '6.3.2', title: 'invalid UTF-8 one byte per frame fails with 1007 at the offending byte', run: (peer) => failFastInFrames(peer, INVALID) },
  failFastInFramesCase('6.4.1', PART1, PART2, 'fail fast: a valid frame is accepted; the next frame, with a code point above U+10FFFF, fails at once with 1007'),
  failFastInFramesCase(
    '6.4.2',
    WHOLE.subarray(0, 12),
    WHOLE.subarray(12, 13),
    'fail fast: a frame ending in the lead byte F4 is accepted; a frame with just the offending byte 90 fails at once with 1007',
  ),
  failFastInChopsCase('6.4.3', PART1, PART2, 'fail fast within a frame: the chop with a code point above U+10FFFF fails at once with 1007'),
  failFastInChopsCase('6.4.4', WHOLE.subarray(0, 12), WHOLE.subarray(12, 13), 'fail fast within a frame: the chop with just the offending byte 90 fails at once with 1007'),
  ...UTF8_CORPUS.flatMap(({ group, samples }) => samples.flatMap((s) => corpusCases(s, group))),
];
