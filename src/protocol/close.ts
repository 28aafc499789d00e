/**
 * Close codes and close frame payloads (RFC 6455 §5.5.1, §7.4).
 *
 * A close payload is empty, or a 2-byte big-endian code followed by a UTF-8 reason.
 * Because a control frame carries at most 125 bytes, the reason is at most 123 bytes.
 */
import { Buffer } from 'node:buffer';
import { ProtocolError } from './errors.js';
import { isValidUtf8 } from './utf8.js';

// Gorilla's names, so code ported from Go reads the same (§7.4.1, IANA registry).
/** 1000: the purpose of the connection has been fulfilled. */
export const CloseNormalClosure = 1000;
/** 1001: the endpoint is going away (a server shutting down, a browser leaving the page). */
export const CloseGoingAway = 1001;
/** 1002: the peer broke the protocol. */
export const CloseProtocolError = 1002;
/** 1003: a type of data the endpoint cannot accept (binary for a text-only endpoint, say). */
export const CloseUnsupportedData = 1003;
/** Reserved: never on the wire. Reported when a close frame had no payload. */
export const CloseNoStatusReceived = 1005;
/** Reserved: never on the wire. Reported when the connection ended without a close frame. */
export const CloseAbnormalClosure = 1006;
/** 1007: data inconsistent with the message type, such as text that is not UTF-8. */
export const CloseInvalidFramePayloadData = 1007;
/** 1008: a message that violates the endpoint's policy (the generic code when no other fits). */
export const ClosePolicyViolation = 1008;
/** 1009: a message too big to process. */
export const CloseMessageTooBig = 1009;
/** 1010 (client only): the server did not agree to an extension the client requires. */
export const CloseMandatoryExtension = 1010;
/** 1011: an unexpected condition (an error in the endpoint itself). */
export const CloseInternalServerErr = 1011;
/** 1012: the service is restarting (IANA registry). */
export const CloseServiceRestart = 1012;
/** 1013: try again later, a temporary condition such as overload (IANA registry). */
export const CloseTryAgainLater = 1013;
/** 1014: a gateway or proxy got an invalid response from upstream (IANA registry). */
export const CloseBadGateway = 1014;
/** Reserved: never on the wire. Reported when the TLS handshake failed. */
export const CloseTLSHandshake = 1015;

/** The longest reason that fits a control frame: 125 bytes minus the 2-byte code. */
export const MAX_CLOSE_REASON_BYTES = 123;

/**
 * Whether `code` may appear in a close frame on the wire (§7.4.1, §7.4.2):
 * 1000–1003 and 1007–1014 (the registered ones), and 3000–4999 (libraries and applications).
 * 1004, 1005, 1006 and 1015 are reserved, 1016–2999 are kept for future RFCs, and
 * anything below 1000 or above 4999 is not a close code at all.
 */
export function isValidWireCloseCode(code: number): boolean {
  if (!Number.isInteger(code)) return false;
  if (code >= 1000 && code <= 1003) return true;
  if (code >= 1007 && code <= 1014) return true;
  return code >= 3000 && code <= 4999;
}

/**
 * Builds a close frame payload, as gorilla's `FormatCloseMessage`. Code 1005
 * (no status) gives the empty payload. Throws a `RangeError` for a code that may not be
 * sent or a reason longer than 123 bytes; the caller's mistake, not the peer's.
 */
export function encodeClosePayload(code: number = CloseNoStatusReceived, reason = ''): Buffer {
  if (code === CloseNoStatusReceived) {
    if (reason !== '') throw new RangeError('a close reason needs a close code');
    return Buffer.alloc(0);
  }
  if (!isValidWireCloseCode(code)) throw new RangeError(`close code ${code} may not be sent (RFC 6455 §7.4)`);
  const reasonLength = Buffer.byteLength(reason, 'utf8');
  if (reasonLength > MAX_CLOSE_REASON_BYTES) {
    throw new RangeError(`close reason is ${reasonLength} bytes; at most ${MAX_CLOSE_REASON_BYTES} fit (§5.5)`);
  }
  // Buffer.alloc, not allocUnsafe: a close payload must never carry stale memory.
  const payload = Buffer.alloc(2 + reasonLength);
  payload.writeUInt16BE(code, 0);
  payload.write(reason, 2, 'utf8');
  return payload;
}

/** What a received close frame said. An empty payload reads as code 1005 (§7.1.5). */
export interface ClosePayload {
  /** The close code; 1005 (`CloseNoStatusReceived`) for an empty payload. */
  code: number;
  /** The reason, '' when none. */
  reason: string;
}

/**
 * Parses a received close payload. Fails with 1002 for a 1-byte payload or a code that may
 * not be on the wire, and with 1007 for a reason that is not valid UTF-8 (§5.5.1, §8.1).
 */
export function decodeClosePayload(payload: Uint8Array): ClosePayload {
  if (payload.length === 0) return { code: CloseNoStatusReceived, reason: '' };
  if (payload.length === 1) throw new ProtocolError(CloseProtocolError, 'close payload of 1 byte');
  const code = (payload[0]! << 8) | payload[1]!;
  if (!isValidWireCloseCode(code)) throw new ProtocolError(CloseProtocolError, `invalid close code ${code}`);
  const reasonBytes = payload.subarray(2);
  if (!isValidUtf8(reasonBytes)) throw new ProtocolError(CloseInvalidFramePayloadData, 'close reason is not valid UTF-8');
  return { code, reason: Buffer.from(reasonBytes.buffer, reasonBytes.byteOffset, reasonBytes.length).toString('utf8') };
}

/** Shortens `text` to fit a close reason (123 bytes) without splitting a character. */
export function truncateCloseReason(text: string): string {
  if (Buffer.byteLength(text) <= MAX_CLOSE_REASON_BYTES) return text;
  let out = text.slice(0, MAX_CLOSE_REASON_BYTES);
  while (Buffer.byteLength(out) > MAX_CLOSE_REASON_BYTES) out = out.slice(0, -1);
  return out;
}
