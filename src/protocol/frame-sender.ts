/**
 * The sending half of the core: frames in the order RFC 6455 requires (§5.4: the fragments of a
 * message are not interleaved with another message; control frames may go between them),
 * masked by a client (§5.3), into the connection's {@link Outbox}. Once the close frame is
 * queued, nothing else may be (§5.5.1).
 */
import { encodeClosePayload } from './close.js';
import { CloseSentError } from './errors.js';
import { MAX_CONTROL_PAYLOAD, Opcode, RSV1, firstByte } from './frame.js';
import type { DataOpcode, Role } from './core.js';
import { type MaskKeySource, defaultMaskKeys } from './mask-keys.js';
import { Outbox } from './outbox.js';

const EMPTY = new Uint8Array(0);

/** The sending half of the core: checks the order of frames and queues them in the outbox. */
export class FrameSender {
  /** Made at the first frame: an idle connection keeps none. */
  private queue: Outbox | null = null;
  private readonly writeBufferSize: number;
  private readonly maskKeys: Pick<MaskKeySource, 'nextKey'> | null;
  private readonly compression: boolean;
  private fragmented = false;
  private closeQueued = false;

  constructor(role: Role, writeBufferSize: number, compression: boolean, maskKeys?: Pick<MaskKeySource, 'nextKey'>) {
    this.writeBufferSize = writeBufferSize;
    this.maskKeys = role === 'client' ? (maskKeys ?? defaultMaskKeys) : null;
    this.compression = compression;
  }

  private get outbox(): Outbox {
    return (this.queue ??= new Outbox(this.writeBufferSize));
  }

  /** Our close frame is queued: nothing may follow it. */
  get closeSent(): boolean {
    return this.closeQueued;
  }

  /** Queues a whole message as one frame; returns true when the payload was queued by reference (see the outbox). */
  message(opcode: DataOpcode, payload: Uint8Array, compressed = false): boolean {
    return this.frame(opcode, payload, true, compressed);
  }

  /**
   * Queues one data frame; for a fragmented message, the first frame carries the opcode and the
   * rest are continuations (§5.4). Returns true when the payload was queued by reference.
   */
  frame(opcode: DataOpcode | typeof Opcode.Continuation, payload: Uint8Array, fin: boolean, compressed = false): boolean {
    this.checkOpen();
    if (opcode === Opcode.Continuation) {
      if (!this.fragmented) throw new Error('continuation frame sent with no fragmented message open');
      if (compressed) throw new Error('RSV1 belongs on the first frame of a message only');
    } else if (this.fragmented) {
      throw new Error('a new message started while a fragmented message is open');
    }
    // RFC 7692 §6: RSV1 marks a compressed message, only where the extension was agreed.
    if (compressed && !this.compression) throw new Error('compression was not negotiated');
    this.fragmented = !fin;
    return this.outbox.pushFrame(firstByte(fin, opcode, compressed ? RSV1 : 0), payload, this.nextMaskKey());
  }

  /** Queues a complete frame encoded beforehand (unmasked: server side only). */
  encoded(frame: Buffer): void {
    this.checkOpen();
    if (this.maskKeys !== null) throw new Error('pre-encoded frames are unmasked: server side only');
    if (this.fragmented) throw new Error('a new message started while a fragmented message is open');
    this.outbox.pushEncoded(frame);
  }

  /** Queues a ping (§5.5.2: at most 125 bytes). */
  ping(payload: Uint8Array = EMPTY): void {
    this.control(Opcode.Ping, payload);
  }

  /** Queues a pong (§5.5.3: at most 125 bytes); an unsolicited one is a heartbeat. */
  pong(payload: Uint8Array = EMPTY): void {
    this.control(Opcode.Pong, payload);
  }

  private control(opcode: number, payload: Uint8Array): void {
    this.checkOpen();
    if (payload.length > MAX_CONTROL_PAYLOAD) throw new RangeError('control frame payload over 125 bytes (§5.5)');
    this.outbox.pushFrame(firstByte(true, opcode), payload, this.nextMaskKey());
  }

  /** Queues the close frame; returns false, queueing nothing, when one was queued already. */
  close(payload: Uint8Array): boolean {
    if (this.closeQueued) return false;
    this.outbox.pushFrame(firstByte(true, Opcode.Close), payload, this.nextMaskKey());
    this.closeQueued = true;
    return true;
  }

  /** Queues the close frame for `code` and `reason` (1005: an empty payload, §7.1.5). */
  closeWith(code: number, reason = ''): boolean {
    return this.close(encodeClosePayload(code, reason));
  }

  /** The bytes queued since the last call, in order. */
  take(): Buffer[] {
    return this.queue === null ? [] : this.queue.take();
  }

  /** How many bytes wait in {@link take}. */
  get pendingBytes(): number {
    return this.queue === null ? 0 : this.queue.pendingBytes;
  }

  private checkOpen(): void {
    if (this.closeQueued) throw new CloseSentError();
  }

  private nextMaskKey(): number | null {
    return this.maskKeys === null ? null : this.maskKeys.nextKey();
  }
}
