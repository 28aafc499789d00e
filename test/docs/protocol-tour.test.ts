/**
 * docs/protocol.md shows frames in hex and says what they mean; this keeps the page honest.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeClosePayload } from '../../src/protocol/close.js';
import { computeAccept } from '../../src/protocol/handshake.js';
import { decodeFrames } from '../helpers/recorder.js';

const page = readFileSync(join(import.meta.dirname, '../../docs/protocol.md'), 'utf8');

/** Decodes the frame whose hex the page shows, after checking the page really shows it. */
function shown(hex: string) {
  expect(page).toContain(hex);
  const frames = decodeFrames(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));
  expect(frames).toHaveLength(1);
  return frames[0]!;
}

describe('docs/protocol.md', () => {
  it('shows the right accept value for the RFC key', () => {
    expect(page).toContain(`= ${computeAccept('dGhlIHNhbXBsZSBub25jZQ==')}`);
  });

  it('frame 1 is a masked, unfinished text frame carrying "Hel"', () => {
    const f = shown('01 83 37 fa 21 3d 7f 9f 4d');
    expect(f).toMatchObject({ fin: false, opcode: 1, masked: true });
    expect(f.payload.toString()).toBe('Hel');
  });

  it('frame 2 is a masked ping carrying "?", and the pong carries it back unmasked', () => {
    const ping = shown('89 81 0a 0b 0c 0d 35');
    expect(ping).toMatchObject({ fin: true, opcode: 9, masked: true });
    expect(ping.payload.toString()).toBe('?');
    const pong = shown('8a 01 3f');
    expect(pong).toMatchObject({ opcode: 10, masked: false });
    expect(pong.payload.toString()).toBe('?');
  });

  it('frame 3 is the final continuation carrying "lo"', () => {
    const f = shown('80 82 11 22 33 44 7d 4d');
    expect(f).toMatchObject({ fin: true, opcode: 0, masked: true });
    expect(f.payload.toString()).toBe('lo');
  });

  it('the reply and the two close frames are what the page says', () => {
    expect(shown('81 05 48 65 6c 6c 6f').payload.toString()).toBe('Hello');
    const clientClose = shown('88 82 de ad be ef dd 45');
    expect(clientClose.masked).toBe(true);
    expect(decodeClosePayload(clientClose.payload).code).toBe(1000);
    const serverClose = shown('88 02 03 e8');
    expect(serverClose.masked).toBe(false);
    expect(decodeClosePayload(serverClose.payload).code).toBe(1000);
  });
});
