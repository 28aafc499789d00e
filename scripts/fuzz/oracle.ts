/**
 * What RFC 6455 (and RFC 7692) allow a server to do with a sequence of client frames, worked out
 * independently of the library: which messages an echo server may send back, which pings it must
 * answer, and which close codes may end the connection. Where the RFC leaves a choice (several
 * rules broken by one frame), every code it allows is accepted; where timing leaves one (a
 * compressed message fails while inflating, after later frames were already read), every ending
 * that timing allows is accepted.
 */
import { constants, inflateRawSync } from 'node:zlib';
import { type FrameSpec, inflateMessage, lengthBytesOf, minimalLengthBytes } from './wire.js';

/** The server's limits that decide outcomes. */
export interface FuzzLimits {
  readLimit: number;
  maxFragments: number;
}

export interface EchoedMessage {
  opcode: 1 | 2;
  data: Buffer;
}

export interface Expectation {
  /** Messages the server may echo, in order; it echoes a prefix of them. */
  echoes: EchoedMessage[];
  /** Ping payloads the server may answer, in order; it answers a prefix of them. */
  pongs: Buffer[];
  /** It answers at least this many pings (those read before anything could have failed). */
  minPongs: number;
  /**
   * `clean`: nothing ends the connection; every message is echoed and every ping answered, and
   * our closing handshake then completes with 1000. `ends`: a close frame with one of `codes`.
   */
  outcome:
    | { kind: 'clean' }
    | {
        kind: 'ends';
        codes: Set<number>;
        /** Our close frame's answer (§5.5.1: the code alone, or nothing for an empty close). */
        echoOfClose: Buffer | null;
        /** Codes the server may choose itself, with a reason of its own. */
        failureCodes: Set<number>;
      };
  /** Why, in words, for failure reports. */
  why: string;
}

/** §7.4.1, §7.4.2: codes that may appear in a close frame. */
export function isSendableCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

interface OpenMessage {
  opcode: 1 | 2;
  compressed: boolean;
  frames: number;
  bytes: number;
  parts: Uint8Array[];
  decoder: InstanceType<typeof TextDecoder> | null;
}

/** The codes of the header rules `f` breaks, given the message in progress. */
function headerViolations(f: FrameSpec, open: OpenMessage | null, deflate: boolean, limits: FuzzLimits): Set<number> {
  const codes = new Set<number>();
  if (f.declaredLength !== undefined) {
    // §5.2: the most significant bit must be 0; any larger length is over every limit.
    codes.add(f.declaredLength >= 1n << 63n ? 1002 : 1009);
  } else if (lengthBytesOf(f) !== minimalLengthBytes(BigInt(f.payload.length))) {
    codes.add(1002); // §5.2: the minimal number of bytes must be used for the length
  }
  if (f.rsv2 || f.rsv3) codes.add(1002); // §5.2: no extension defines them
  const control = (f.opcode & 0x8) !== 0;
  const known = f.opcode <= 2 || (f.opcode >= 8 && f.opcode <= 10);
  if (!known) codes.add(1002);
  if (!f.masked) codes.add(1002); // §5.1
  const length = f.declaredLength ?? BigInt(f.payload.length);
  if (control) {
    if (length > 125n || !f.fin || f.rsv1) codes.add(1002); // §5.5, RFC 7692 §6
    return codes;
  }
  if (!known) return codes;
  let valid = codes.size === 0;
  if (f.opcode === 0) {
    if (open === null || f.rsv1) codes.add(1002); // §5.4; RFC 7692 §6.1: RSV1 on the first frame only
  } else if (open !== null || (f.rsv1 && !deflate)) {
    codes.add(1002);
  }
  valid = valid && codes.size === 0;
  if (valid) {
    const frames = f.opcode === 0 ? open!.frames + 1 : 1;
    const bytes = (f.opcode === 0 ? BigInt(open!.bytes) : 0n) + length;
    if (frames > limits.maxFragments || bytes > BigInt(limits.readLimit)) codes.add(1009);
  }
  return codes;
}

/**
 * The fate of a compressed message, whole (`ended`) or as far as it has arrived: its inflated data,
 * or the codes it may fail with. What has arrived already decides some failures (§8.1: invalid
 * UTF-8 is failed as soon as it is seen, and inflated bytes never change once produced). When it
 * is both too big and not UTF-8, either may be found first. (Generated messages inflate to at most
 * a few hundred KiB, so inflating them whole here is safe.)
 */
function inflated(m: OpenMessage, limits: FuzzLimits, ended: boolean): { data: Buffer } | { codes: number[] } {
  let data: Buffer;
  const compressed = Buffer.concat(m.parts);
  try {
    data = ended
      ? inflateMessage(compressed)
      : compressed.length === 0
        ? Buffer.alloc(0)
        : inflateRawSync(compressed, { finishFlush: constants.Z_SYNC_FLUSH });
  } catch {
    return { codes: [1007] };
  }
  const codes: number[] = [];
  const tooBig = data.length > limits.readLimit;
  if (tooBig) codes.push(1009);
  if (m.opcode === 1) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(data.subarray(0, limits.readLimit), { stream: !ended || tooBig });
    } catch {
      codes.push(1007);
    }
  }
  return codes.length > 0 ? { codes } : { data };
}

export function expectationFor(frames: readonly FrameSpec[], deflate: boolean, limits: FuzzLimits): Expectation {
  const echoes: EchoedMessage[] = [];
  const pongs: Buffer[] = [];
  let open: OpenMessage | null = null;
  /** The first compressed message that fails, found only when it is inflated (later). */
  let asyncFailure: { codes: number[]; pongsBefore: number } | null = null;
  let terminal: { codes: Set<number>; echoOfClose: Buffer | null; why: string } | null = null;

  for (let i = 0; i < frames.length && terminal === null; i++) {
    const f = frames[i]!;
    const violations = headerViolations(f, open, deflate, limits);
    if (violations.size > 0) {
      terminal = { codes: violations, echoOfClose: null, why: `frame ${i} breaks a header rule` };
      break;
    }
    const payload = Buffer.from(f.payload);
    if (f.opcode === 0x9) {
      pongs.push(payload);
    } else if (f.opcode === 0x8) {
      // §5.5.1: empty, or a 2-byte code and a UTF-8 reason.
      if (payload.length === 0) terminal = { codes: new Set([1000, 1005]), echoOfClose: Buffer.alloc(0), why: `frame ${i}: empty close` };
      else if (payload.length === 1) terminal = { codes: new Set([1002]), echoOfClose: null, why: `frame ${i}: 1-byte close` };
      else {
        const code = payload.readUInt16BE(0);
        let reasonOk = true;
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(payload.subarray(2));
        } catch {
          reasonOk = false;
        }
        if (!isSendableCloseCode(code)) terminal = { codes: new Set([1002]), echoOfClose: null, why: `frame ${i}: close code ${code}` };
        else if (!reasonOk) terminal = { codes: new Set([1007]), echoOfClose: null, why: `frame ${i}: close reason not UTF-8` };
        else terminal = { codes: new Set([code]), echoOfClose: payload.subarray(0, 2), why: `frame ${i}: close ${code}` };
      }
    } else if (f.opcode !== 0xa) {
      if (f.opcode !== 0) {
        const opcode = f.opcode as 1 | 2;
        open = { opcode, compressed: f.rsv1, frames: 0, bytes: 0, parts: [], decoder: opcode === 1 && !f.rsv1 ? new TextDecoder('utf-8', { fatal: true }) : null };
      }
      const m: OpenMessage = open!;
      m.frames++;
      m.bytes += payload.length;
      m.parts.push(payload);
      if (m.decoder !== null) {
        // §8.1: invalid UTF-8 fails the connection as soon as it is seen.
        try {
          m.decoder.decode(payload, { stream: true });
          if (f.fin) m.decoder.decode();
        } catch {
          terminal = { codes: new Set([1007]), echoOfClose: null, why: `frame ${i}: text not UTF-8` };
          break;
        }
      }
      if (m.compressed) {
        const fate = inflated(m, limits, f.fin);
        if ('codes' in fate) asyncFailure ??= { codes: fate.codes, pongsBefore: pongs.length };
        else if (f.fin && asyncFailure === null) echoes.push({ opcode: m.opcode, data: fate.data });
      } else if (f.fin && asyncFailure === null) {
        echoes.push({ opcode: m.opcode, data: Buffer.concat(m.parts) });
      }
      if (f.fin) open = null;
    }
  }

  if (asyncFailure !== null) {
    // The failure comes once zlib has run: later frames (a close, another failure) may be read first.
    const codes = new Set([...asyncFailure.codes, ...(terminal?.codes ?? [1000])]);
    return {
      echoes,
      pongs,
      minPongs: asyncFailure.pongsBefore,
      outcome: {
        kind: 'ends',
        codes,
        echoOfClose: terminal === null ? Buffer.from([0x03, 0xe8]) : terminal.echoOfClose,
        failureCodes: new Set([...asyncFailure.codes, ...(terminal !== null && terminal.echoOfClose === null ? terminal.codes : [])]),
      },
      why: `a compressed message fails with ${asyncFailure.codes.join('/')}${terminal ? `; then ${terminal.why}` : ''}`,
    };
  }
  if (terminal !== null) {
    const failureCodes = new Set(terminal.echoOfClose === null ? terminal.codes : []);
    return { echoes, pongs, minPongs: pongs.length, outcome: { kind: 'ends', codes: terminal.codes, echoOfClose: terminal.echoOfClose, failureCodes }, why: terminal.why };
  }
  return { echoes, pongs, minPongs: pongs.length, outcome: { kind: 'clean' }, why: 'every frame is valid' };
}
