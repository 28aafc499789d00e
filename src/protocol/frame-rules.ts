/**
 * The receiving rules of RFC 6455 that a frame's header decides (§5.1–§5.5, §10.4): checked
 * before a byte of its payload is held, so a broken rule fails the connection at once. The core
 * (`core.ts`) runs them on each header; UTF-8 of text (§8.1) is checked there, as payload arrives.
 */
import { CloseMessageTooBig, CloseProtocolError } from './close.js';
import type { Role } from './core.js';
import { ProtocolError } from './errors.js';
import { type FrameHeader, MAX_CONTROL_PAYLOAD, Opcode, isControlOpcode, isKnownOpcode } from './frame.js';

/** What the rules need to know about the message being received (fields of the core itself: no object per connection). */
export interface ReceivingMessage {
  /** Opcode of the data message in progress, or 0 between messages. */
  messageOpcode: number;
  /** Frames of the message so far. */
  messageFrames: number;
  /** Payload bytes of the message so far, as received (compressed, when it is). */
  messageBytes: number;
}

/** The limits and agreements the rules are checked against. */
export interface FrameRuleSettings {
  /** Which side receives: a server requires masked frames, a client refuses them (§5.1). */
  readonly role: Role;
  /** permessage-deflate was agreed: RSV1 may mark the first frame of a data message. */
  readonly compression: boolean;
  /** Largest message accepted, in payload bytes as received (1009 past it). */
  readonly maxMessageSize: number;
  /** Most frames one message may span (1009 past it). */
  readonly maxFragments: number;
}

/**
 * Checks a control frame's header (§5.5): at most 125 bytes, never fragmented, no RSV bit.
 * The checks every frame shares are in {@link checkFrameHeader}.
 */
function checkControlFrame(h: FrameHeader): void {
  if (h.payloadLength > MAX_CONTROL_PAYLOAD) throw new ProtocolError(CloseProtocolError, 'control frame payload over 125 bytes');
  if (!h.fin) throw new ProtocolError(CloseProtocolError, 'fragmented control frame');
  // RFC 7692 §6: RSV1 is only for the first frame of a data message.
  if (h.rsv1) throw new ProtocolError(CloseProtocolError, 'RSV1 set on a control frame');
}

/**
 * Checks a received header against every framing rule, and a data frame against the message in
 * progress and the read limits. Updates `message` for a data frame; returns true when the frame
 * starts a new data message. Throws `ProtocolError` on the first broken rule.
 */
export function checkFrameHeader(h: FrameHeader, settings: FrameRuleSettings, message: ReceivingMessage): boolean {
  const opcode = h.opcode;
  // §5.2: RSV bits are 0 unless an extension defines them; opcodes 3–7 and B–F are reserved.
  if (h.rsv2 || h.rsv3) throw new ProtocolError(CloseProtocolError, 'RSV2/RSV3 set without a negotiated extension');
  if (!isKnownOpcode(opcode)) throw new ProtocolError(CloseProtocolError, `reserved opcode 0x${opcode.toString(16)}`);
  // §5.1: client-to-server frames are masked, server-to-client frames are not.
  if (settings.role === 'server' && !h.masked) throw new ProtocolError(CloseProtocolError, 'client frame is not masked');
  if (settings.role === 'client' && h.masked) throw new ProtocolError(CloseProtocolError, 'server frame is masked');
  if (isControlOpcode(opcode)) {
    checkControlFrame(h);
    return false;
  }
  let starts = false;
  if (opcode === Opcode.Continuation) {
    // §5.4: a continuation continues a fragmented message; only the first frame may carry RSV1.
    if (message.messageOpcode === 0) throw new ProtocolError(CloseProtocolError, 'continuation frame with no message to continue');
    if (h.rsv1) throw new ProtocolError(CloseProtocolError, 'RSV1 set on a continuation frame');
  } else {
    // §5.4: the fragments of one message are not interleaved with another data message.
    if (message.messageOpcode !== 0) throw new ProtocolError(CloseProtocolError, 'new data frame inside a fragmented message');
    if (h.rsv1 && !settings.compression) throw new ProtocolError(CloseProtocolError, 'RSV1 set without permessage-deflate');
    message.messageOpcode = opcode;
    message.messageFrames = 0;
    message.messageBytes = 0;
    starts = true;
  }
  // §10.4: limits, checked on the header, before a byte of the payload is held.
  if (++message.messageFrames > settings.maxFragments) {
    throw new ProtocolError(CloseMessageTooBig, `message spans more than ${settings.maxFragments} frames`);
  }
  message.messageBytes += h.payloadLength;
  if (message.messageBytes > settings.maxMessageSize) {
    throw new ProtocolError(CloseMessageTooBig, `message exceeds the read limit of ${settings.maxMessageSize} bytes`);
  }
  return starts;
}
