/**
 * Liveness: keepalive (a ping every `pingInterval`; a peer that sends nothing back within
 * `pongTimeout` is dropped) and the idle timeout (no data message for `idleTimeout`: close with
 * 1001). Neither judges the peer while our own backpressure holds its bytes unread: a paused
 * transport cannot show us its pongs or its messages, so the clocks count from the resume.
 * (Reading control frames past unread data is impossible on an ordered byte stream.)
 */
import { Buffer } from 'node:buffer';

/** What liveness is given. */
export interface LivenessParts {
  pingInterval: number;
  pongTimeout: number;
  idleTimeout: number;
  /** The connection is open and our close frame is not out: pings and judgements still make sense. */
  isOpen(): boolean;
  /** Reading is paused by our own backpressure. */
  holdingPeer(): boolean;
  sendPing(payload: Buffer): void;
  /** Nothing came back after a ping: drop the connection. */
  peerSilent(): void;
  /** No data message for `idleTimeout`: close the connection. */
  idle(): void;
}

const KEEPALIVE_PAYLOAD = Buffer.from('keepalive');

export class Liveness {
  private readonly parts: LivenessParts;
  private keepaliveTimer: NodeJS.Timeout | null = null;
  private pongTimer: NodeJS.Timeout | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private lastReceiveAt = 0;
  private lastMessageAt = Date.now();
  private lastResumeAt = 0;

  constructor(parts: LivenessParts) {
    this.parts = parts;
    if (parts.pingInterval > 0) {
      this.keepaliveTimer = setInterval(() => this.keepaliveTick(), parts.pingInterval);
      this.keepaliveTimer.unref();
    }
    if (parts.idleTimeout > 0) this.armIdleTimer(parts.idleTimeout);
  }

  /** Bytes arrived from the peer. */
  bytesArrived(): void {
    if (this.keepaliveTimer !== null) this.lastReceiveAt = Date.now();
  }

  /** A data message began to arrive. */
  messageStarted(): void {
    if (this.idleTimer !== null) this.lastMessageAt = Date.now();
  }

  /** Reading resumed after our backpressure: the peer's bytes flow again, from now. */
  resumed(): void {
    if (this.keepaliveTimer !== null || this.idleTimer !== null) this.lastResumeAt = Date.now();
  }

  /** The connection is over. */
  stop(): void {
    for (const timer of [this.keepaliveTimer, this.pongTimer, this.idleTimer]) if (timer !== null) clearTimeout(timer);
    this.keepaliveTimer = this.pongTimer = this.idleTimer = null;
  }

  private keepaliveTick(): void {
    if (!this.parts.isOpen() || this.pongTimer !== null) return;
    const sentAt = Date.now();
    this.parts.sendPing(KEEPALIVE_PAYLOAD);
    this.pongTimer = setTimeout(() => {
      this.pongTimer = null;
      if (this.lastReceiveAt >= sentAt || !this.parts.isOpen()) return;
      // Our backpressure held whatever the peer sent: no verdict; the next ping asks again.
      if (this.parts.holdingPeer() || this.lastResumeAt >= sentAt) return;
      this.parts.peerSilent();
    }, this.parts.pongTimeout);
    this.pongTimer.unref();
  }

  /**
   * One timer per connection, re-armed only when it fires: a message resets the clock with a
   * timestamp, not with a timer call per message.
   */
  private armIdleTimer(delay: number): void {
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (!this.parts.isOpen()) return;
      const timeout = this.parts.idleTimeout;
      if (this.parts.holdingPeer()) return this.armIdleTimer(timeout);
      const idleFor = Date.now() - Math.max(this.lastMessageAt, this.lastResumeAt);
      if (idleFor < timeout) return this.armIdleTimer(timeout - idleFor);
      this.parts.idle();
    }, delay);
    this.idleTimer.unref();
  }
}
