/**
 * The lifecycle's decisions, driven by hand: every action it asks of the I/O layer is recorded, so
 * each rule of RFC 6455 §7 is checked without a socket or a timer.
 */
import { describe, expect, it } from 'vitest';
import { encodeClosePayload } from '../../src/protocol/close.js';
import { ConnectionCore, type CoreOptions } from '../../src/protocol/core.js';
import { ProtocolError } from '../../src/protocol/errors.js';
import { encodeFrame } from '../../src/protocol/frame.js';
import type { LifecycleActions } from '../../src/protocol/lifecycle.js';
import { Recorder } from '../helpers/recorder.js';

function core(options: CoreOptions): { core: ConnectionCore; actions: string[] } {
  const actions: string[] = [];
  const record: LifecycleActions = {
    endTransport: () => actions.push('end'),
    abortTransport: () => actions.push('abort'),
    startTimer: (timer, ms) => actions.push(`start ${timer} ${ms}`),
    stopTimer: (timer) => actions.push(`stop ${timer}`),
  };
  return { core: new ConnectionCore({ closeTimeout: 100, ...options }, new Recorder(), record), actions };
}

const closeFrame = (code: number, masked: boolean): Buffer =>
  encodeFrame({ opcode: 8, payload: encodeClosePayload(code), ...(masked ? { maskKey: 0x01020304 } : {}) });

describe('the lifecycle (RFC 6455 §7)', () => {
  it('§7.1.1: the server ends TCP first once both close frames are exchanged', () => {
    const { core: c, actions } = core({ role: 'server' });
    expect(c.lifecycle.state).toBe('open');
    c.close(1000);
    expect(c.lifecycle.state).toBe('closing');
    expect(actions).toEqual(['start closeHandshake 100']);
    c.receive(closeFrame(1000, true));
    expect(actions).toEqual(['start closeHandshake 100', 'stop closeHandshake', 'end', 'start transportClose 100']);
    expect(c.lifecycle.transportClosed()).toEqual({ code: 1000, reason: '', wasClean: true, error: null });
    expect(c.lifecycle.state).toBe('closed');
  });

  it('§7.1.1: a client answers the close and waits for the server to end TCP', () => {
    const { core: c, actions } = core({ role: 'client' });
    c.receive(closeFrame(1001, false));
    expect(c.closeSent).toBe(true);
    expect(actions).toEqual(['stop closeHandshake', 'start transportClose 100']);
    c.lifecycle.transportEnded();
    expect(actions.at(-1)).toBe('end');
    expect(c.lifecycle.endsQuietly).toBe(true);
  });

  it('§7.1.7: a failure sends its code and either side ends TCP; with deferFailureClose, a timer bounds the wait', () => {
    const { core: c, actions } = core({ role: 'client', deferFailureClose: true });
    c.receive(Buffer.from([0x83, 0x00])); // reserved opcode 3
    expect(c.failure?.closeCode).toBe(1002);
    expect(c.closeSent).toBe(false);
    expect(actions).toEqual(['start failureClose 100']);
    c.lifecycle.timerFired('failureClose');
    expect(c.closeSent).toBe(true);
    expect(actions).toEqual(['start failureClose 100', 'stop failureClose', 'stop closeHandshake', 'end', 'start transportClose 100']);
    expect(c.lifecycle.readError()).toBeInstanceOf(ProtocolError);
  });

  it('a peer that never answers our close frame is dropped, as 1006 "close handshake timed out"', () => {
    const { core: c, actions } = core({ role: 'server' });
    c.close(1000);
    c.lifecycle.timerFired('closeHandshake');
    expect(actions.at(-1)).toBe('abort');
    const info = c.lifecycle.transportClosed();
    expect(info).toMatchObject({ code: 1006, wasClean: false });
    expect(info.error?.message).toMatch(/close handshake timed out/);
  });

  it('the first cause wins, and says why writes are refused', () => {
    const { core: c } = core({ role: 'server' });
    expect(c.lifecycle.writeError()).toBeNull();
    c.receive(closeFrame(4000, true));
    c.lifecycle.transportError(new Error('reset'));
    expect(c.lifecycle.endCause).toMatchObject({ kind: 'peer-close', code: 4000 });
    expect(c.lifecycle.writeError()?.message).toMatch(/peer closed the connection with 4000/);
  });

  it('abort drops the transport at once, with a close frame first when asked', () => {
    const { core: c, actions } = core({ role: 'server' });
    c.lifecycle.abort(new Error('gone'), true, { code: 1011, reason: 'keepalive timeout' });
    expect(c.closeSent).toBe(true);
    expect(actions).toEqual(['abort']);
    expect(c.lifecycle.writeError()?.message).toBe('gone');
  });
});
