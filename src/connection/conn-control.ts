/**
 * What `Conn`'s control-frame methods do (§5.5): a close, ping or pong frame queued ahead of
 * messages waiting their turn, a ping matched with its pong, and the start of the closing
 * handshake after the writes made before it. Plain functions of the connection's driver, so a
 * connection carries no object for them.
 */
import { Buffer } from 'node:buffer';
import { DeadlineExceededError } from '../errors.js';
import { CloseSentError } from '../protocol/errors.js';
import { withDeadline } from './deadline.js';
import type { Driver } from './driver.js';
import { type ControlMessageType, CloseMessage, type MessageData, PingMessage, PongMessage, toBuffer } from './message.js';
import type { ReadOptions } from './message-reader.js';
import type { WriteOptions } from './writer.js';

/** Options for `Conn.writeControl`: a deadline, and (from {@link WriteOptions}) a signal. */
export interface ControlOptions extends WriteOptions {
  /** Fail with `DeadlineExceededError` if the frame cannot be handed to the transport by then. */
  deadline?: Date | number;
}

/** Queues a control frame and resolves once the transport has taken it (see `Conn.writeControl`). */
export function writeControl(driver: Driver, type: ControlMessageType, data: MessageData, deadlineOrOptions: Date | number | ControlOptions): Promise<void> {
  const options: ControlOptions =
    typeof deadlineOrOptions === 'number' || deadlineOrOptions instanceof Date ? { deadline: deadlineOrOptions } : deadlineOrOptions;
  const { core, lifecycle } = driver;
  try {
    const payload = toBuffer(data);
    if (lifecycle.state === 'closed') throw lifecycle.writeError()!;
    if (type === CloseMessage) {
      if (!lifecycle.closeWithPayload(payload)) throw lifecycle.writeError() ?? new CloseSentError();
    } else if (type === PingMessage || type === PongMessage) {
      if (core.closeSent) throw lifecycle.writeError() ?? new CloseSentError();
      if (type === PingMessage) core.sender.ping(payload);
      else core.sender.pong(payload);
    } else {
      throw new TypeError(`websocket: ${String(type)} is not a control message type`);
    }
  } catch (err) {
    return Promise.reject(err);
  }
  driver.afterOutput();
  const sent = driver.writer.afterControl(options);
  if (options.deadline === undefined) return sent;
  return withDeadline(sent, +options.deadline, () => new DeadlineExceededError('control'));
}

/** Sends a ping and resolves with the round-trip time once its pong comes back (see `Conn.ping`). */
export function ping(driver: Driver, data: MessageData | undefined, options: ReadOptions): Promise<number> {
  const pings = driver.pings;
  let payload: Buffer;
  try {
    payload = data === undefined ? pings.nextPayload() : Buffer.from(toBuffer(data));
  } catch (err) {
    return Promise.reject(err);
  }
  const waiter = pings.expect(payload, options.signal);
  if (!waiter.isSettled) writeControl(driver, PingMessage, payload, {}).catch((err: unknown) => pings.failed(payload, waiter, err));
  return waiter.promise;
}

/**
 * Starts the closing handshake (§7.1.2): no new message from now on, and the peer has
 * `closeTimeout` to answer even if earlier writes stall; the close frame follows those writes.
 */
export function beginClose(driver: Driver, payload: Buffer): void {
  const { lifecycle, writer } = driver;
  lifecycle.beginClose();
  const send = (): void => {
    lifecycle.closeWithPayload(payload);
    driver.afterOutput();
    writer.flush();
  };
  const earlier = writer.whenIdle();
  if (earlier === null) send();
  else earlier.then(send, send); // writes made before close() go first
}
