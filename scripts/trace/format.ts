/**
 * The frame inspector's lines. One line per frame:
 *
 *   C→S fin=1 rsv=000 text   mask=37fa213d len=5 "Hello"
 *   S→C fin=1 rsv=100 text   unmasked len=7 deflated hex:f2 48 cd c9 c9 07 00
 *   S→C message text, inflated 7 → 5 bytes: "Hello"
 *   S→C fin=1 rsv=000 close  unmasked len=5 code=1000 (normal closure) reason="bye"
 *
 * C→S is what the client sent, S→C what the server sent; in proxy mode each line starts with the
 * connection's number, `[#3]`.
 */
import type { FrameHeader } from '../../src/protocol/frame.js';
import { Opcode } from '../../src/protocol/frame.js';
import { binaryPreview, closePreview, controlPreview, quote, textPreview } from './preview.js';

export type Direction = 'client' | 'server';

/** `C→S` for what the client sent, `S→C` for what the server sent. */
export function arrow(from: Direction): string {
  return from === 'client' ? 'C→S' : 'S→C';
}

const OPCODE_NAMES: Record<number, string> = {
  [Opcode.Continuation]: 'cont',
  [Opcode.Text]: 'text',
  [Opcode.Binary]: 'binary',
  [Opcode.Close]: 'close',
  [Opcode.Ping]: 'ping',
  [Opcode.Pong]: 'pong',
};

/** `text`, `cont`, ... or `op=0x3` for an opcode RFC 6455 reserves (§5.2). */
export function opcodeName(opcode: number): string {
  return OPCODE_NAMES[opcode] ?? `op=0x${opcode.toString(16)}`;
}

/** A frame as the inspector saw it: its header and the first bytes of its (unmasked) payload. */
export interface FrameSummary {
  header: FrameHeader;
  /** The first payload bytes, unmasked: at most the preview size. */
  preview: Buffer;
  /** The data message this frame belongs to (its first frame's opcode), for continuation frames; 0 for none. */
  messageOpcode: number;
  /** The frame belongs to a message compressed with permessage-deflate (RSV1 on its first frame). */
  compressed: boolean;
}

/** The payload part of a frame line. */
export function payloadPreview(frame: FrameSummary): string {
  const { header, preview } = frame;
  const total = header.payloadLength;
  switch (header.opcode) {
    case Opcode.Close:
      return closePreview(preview);
    case Opcode.Ping:
    case Opcode.Pong:
      return controlPreview(preview);
  }
  if (frame.compressed) return `deflated ${binaryPreview(preview, total)}`;
  const type = header.opcode === Opcode.Continuation ? frame.messageOpcode : header.opcode;
  if (type === Opcode.Text) {
    return textPreview(preview, { total, continuation: header.opcode === Opcode.Continuation, unfinished: !header.fin });
  }
  return binaryPreview(preview, total);
}

/** One frame's line. */
export function formatFrame(from: Direction, frame: FrameSummary): string {
  const h = frame.header;
  const rsv = `${Number(h.rsv1)}${Number(h.rsv2)}${Number(h.rsv3)}`;
  const mask = h.masked ? `mask=${h.maskKey.toString(16).padStart(8, '0')}` : 'unmasked';
  return `${arrow(from)} fin=${Number(h.fin)} rsv=${rsv} ${opcodeName(h.opcode).padEnd(6)} ${mask} len=${h.payloadLength} ${payloadPreview(frame)}`;
}

/** The whole of an inflated message: how big it was each way, and its first bytes. */
export interface InflatedSummary {
  opcode: number;
  compressedLength: number;
  inflatedLength: number;
  /** The first inflated bytes: at most the preview size. */
  preview: Buffer;
}

/** The line after a compressed message's last frame: what it inflated to. */
export function formatInflated(from: Direction, message: InflatedSummary): string {
  const body =
    message.opcode === Opcode.Text
      ? textPreview(message.preview, { total: message.inflatedLength, continuation: false, unfinished: false })
      : binaryPreview(message.preview, message.inflatedLength);
  return `${arrow(from)} message ${opcodeName(message.opcode)}, inflated ${message.compressedLength} → ${message.inflatedLength} bytes: ${body}`;
}

/** One line of an HTTP head, as sent; anything unprintable escaped. */
export function formatHeadLine(from: Direction, line: string): string {
  return `${arrow(from)} ${/^[\x20-\x7e\t]*$/.test(line) ? line : quote(line)}`;
}
