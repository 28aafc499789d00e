/**
 * A message read as a stream of payload pieces (gorilla's `NextReader`), for messages too large
 * to hold whole. Pieces arrive as they come off the wire; the connection stops reading from the
 * socket when too much is buffered and the application is not keeping up.
 */
import { Buffer } from 'node:buffer';
import type { QueuedMessage } from './inbox.js';
import type { DataMessageType } from './message.js';

/** @internal What a reader pulls its pieces from (the connection). */
export interface PieceSource {
  nextPiece(message: QueuedMessage, signal: AbortSignal | undefined): Promise<Buffer | null>;
}

/** Options for the read methods of `Conn` and `MessageReader`. */
export interface ReadOptions {
  /** Gives up waiting when aborted; the rejection is the signal's reason. Nothing is lost. */
  signal?: AbortSignal;
}

/**
 * One message, read piece by piece, from `Conn.nextReader()`.
 *
 * @example
 * ```ts
 * const reader = await conn.nextReader();
 * for await (const piece of reader) hash.update(piece); // never holds the whole message
 * ```
 */
export class MessageReader implements AsyncIterable<Buffer> {
  /** `TextMessage` or `BinaryMessage`. */
  readonly type: DataMessageType;
  private readonly message: QueuedMessage;
  private readonly source: PieceSource;

  /** @internal Created by `Conn.nextReader()`. */
  constructor(message: QueuedMessage, source: PieceSource) {
    this.type = message.type;
    this.message = message;
    this.source = source;
  }

  /** The next piece of the payload, or null after the last one. */
  read(options: ReadOptions = {}): Promise<Buffer | null> {
    return this.source.nextPiece(this.message, options.signal);
  }

  /** The rest of the payload as one buffer. */
  async buffer(options: ReadOptions = {}): Promise<Buffer> {
    const pieces: Buffer[] = [];
    for (let piece = await this.read(options); piece !== null; piece = await this.read(options)) pieces.push(piece);
    return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
  }

  /** The rest of the payload decoded as UTF-8. */
  async text(options: ReadOptions = {}): Promise<string> {
    return (await this.buffer(options)).toString('utf8');
  }

  /** Iterates over the remaining pieces of the payload: `for await (const piece of reader)`. */
  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    return {
      next: async (): Promise<IteratorResult<Buffer>> => {
        const piece = await this.read();
        return piece === null ? { value: undefined, done: true } : { value: piece, done: false };
      },
    };
  }
}
