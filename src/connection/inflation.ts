/**
 * Where a compressed message's inflated bytes go: checked as they come out (the read limit on the
 * inflated size, RFC 6455 §10.4; UTF-8 for text, §8.1, by `InflatedMessageCheck` in the core),
 * then handed to the inbox. A message that fails a check fails the connection (§7.1.7).
 */
import { InflatedMessageCheck, invalidDeflateError } from '../protocol/deflate-codec.js';
import type { ProtocolError } from '../protocol/errors.js';
import { TextMessage } from './message.js';
import type { InflateSink } from './decompressor.js';
import type { QueuedMessage } from './inbox.js';

/** What the inflation of one message reports to. */
export interface InflationTarget {
  /** Inflation of this connection has failed before: nothing more is delivered. */
  readonly inflationDead: boolean;
  /** An inflated piece of `message` passed the checks. */
  inflated(message: QueuedMessage, piece: Buffer): void;
  /** `message` is whole; its compressed bytes are no longer held. */
  complete(message: QueuedMessage): void;
  /** The compressed bytes of `message` are no longer held (inflated, or given up). */
  releaseCompressed(message: QueuedMessage): void;
  /** `message` turned out bad. */
  failed(message: QueuedMessage, error: ProtocolError): void;
}

export function inflationSink(message: QueuedMessage, readLimit: number, target: InflationTarget): InflateSink {
  const check = new InflatedMessageCheck(readLimit, message.type === TextMessage);
  return {
    push: (piece) => {
      if (target.inflationDead) return;
      const error = check.piece(piece);
      if (error !== null) return target.failed(message, error);
      if (!message.abandoned) target.inflated(message, piece);
    },
    done: () => {
      target.releaseCompressed(message);
      if (target.inflationDead) return;
      const error = check.end();
      if (error !== null) return target.failed(message, error);
      target.complete(message);
    },
    fail: (err) => {
      target.releaseCompressed(message);
      target.failed(message, invalidDeflateError(err.message));
    },
  };
}
