/**
 * A message written in pieces (gorilla's `NextWriter`): each `write` sends one fragment
 * (§5.4), `close` sends the final one. Control frames may go out between fragments; other
 * messages wait until the writer is closed, so they never interleave with it.
 */
import { Buffer } from 'node:buffer';
import { type DataMessageType, type MessageData, TextMessage, toBuffer } from './message.js';
import { Utf8Validator } from '../protocol/utf8.js';

/** @internal Where a writer's fragments go (the connection). */
export interface FragmentSink {
  writeFragment(type: DataMessageType, payload: Buffer, first: boolean, fin: boolean): Promise<void>;
  releaseWriter(): void;
}

/**
 * One message, written piece by piece, from `Conn.nextWriter()`. Each `write` sends a fragment; `close` ends the message.
 *
 * @example
 * ```ts
 * const writer = await conn.nextWriter(BinaryMessage);
 * for await (const chunk of createReadStream('big.bin')) await writer.write(chunk);
 * await writer.close();
 * ```
 */
export class MessageWriter {
  /** `TextMessage` or `BinaryMessage`. */
  readonly type: DataMessageType;
  private readonly sink: FragmentSink;
  private started = false;
  private closed = false;
  /** Pieces go out one after another even if the caller does not await each write. */
  private chain: Promise<void> = Promise.resolve();
  /** Text must be valid UTF-8 as a whole; pieces may split a character. */
  private readonly utf8: Utf8Validator | null;

  /** @internal Created by `Conn.nextWriter()`. */
  constructor(type: DataMessageType, sink: FragmentSink) {
    this.type = type;
    this.sink = sink;
    this.utf8 = type === TextMessage ? new Utf8Validator() : null;
  }

  /** Sends `data` as the next fragment. Empty data sends nothing. */
  async write(data: MessageData): Promise<void> {
    if (this.closed) throw new Error('websocket: write to a closed message writer');
    const payload = toBuffer(data);
    if (payload.length === 0) return;
    this.checkUtf8(payload, false);
    const first = !this.started;
    this.started = true;
    await this.enqueue(() => this.sink.writeFragment(this.type, payload, first, false));
  }

  /** Sends the final fragment (with `data`, possibly empty) and lets other messages through. */
  async close(data: MessageData = EMPTY): Promise<void> {
    if (this.closed) return;
    const payload = toBuffer(data);
    this.checkUtf8(payload, true);
    this.closed = true;
    const first = !this.started;
    this.started = true;
    try {
      await this.enqueue(() => this.sink.writeFragment(this.type, payload, first, true));
    } finally {
      this.sink.releaseWriter();
    }
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.chain.then(step);
    this.chain = run.catch(() => {});
    return run;
  }

  /** Refuses bytes that would make the text invalid; nothing of them is sent. */
  private checkUtf8(payload: Buffer, last: boolean): void {
    if (this.utf8 === null) return;
    const probe = new Utf8Validator();
    probe.copyStateFrom(this.utf8);
    if (!probe.write(payload) || (last && !probe.isComplete())) {
      throw new TypeError('websocket: text message is not valid UTF-8');
    }
    this.utf8.copyStateFrom(probe);
  }
}

const EMPTY = Buffer.alloc(0);
