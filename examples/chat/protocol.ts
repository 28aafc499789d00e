/**
 * The chat's protocol: JSON objects in text messages, one object per message, each with a `type`.
 *
 * Page → server:
 *   {"type":"join","name":"Ada"}            first message, exactly once: the name the user chose
 *   {"type":"join","name":"Ada","since":"1700000000000-0"}
 *                                           the same, from a page that reconnects: the id of the
 *                                           last message it saw, to get what it missed first
 *   {"type":"say","text":"hello"}           a line of chat, at most MAX_TEXT_LENGTH characters
 *
 * Server → page:
 *   {"type":"welcome","name":"Ada (2)","users":["Bob","Ada (2)"]}
 *                                           to the new member: its name (cleaned up, made unique)
 *                                           and everyone present, itself included
 *   {"type":"joined","name":"Bob"}          to the others, when someone joins
 *   {"type":"left","name":"Bob"}            to those who remain, when someone leaves
 *   {"type":"message","from":"Ada","text":"hello","at":1700000000000}
 *                                           to everyone, the sender included (`at`: ms since 1970)
 *   {"type":"missed"}                       to a page that resumed: some messages after its id
 *                                           are gone (past the retention, or lost)
 * With Redis (REDIS_URL), the room's messages ("joined", "left", "message") also carry an "id"
 * (`"id":"1700000000000-0"`, first in the object): the page sends back the last one as `since`.
 *
 * Anything else ends the connection with a close code that says why: 1003 for a binary message,
 * 1008 for a message that is not one of the above (or a second join, or a say before joining),
 * 1009 for a text that is too long.
 */
import { CloseMessageTooBig, ClosePolicyViolation, CloseUnsupportedData } from '../../src/index.js';

/** Longest chat line, in characters (code points). The page enforces it too. */
export const MAX_TEXT_LENGTH = 2000;

export type ClientMessage = { type: 'join'; name: string; since?: string } | { type: 'say'; text: string };

export type ServerMessage =
  | { type: 'welcome'; name: string; users: string[] }
  | { type: 'joined'; name: string }
  | { type: 'left'; name: string }
  | { type: 'message'; from: string; text: string; at: number }
  | { type: 'missed' };

/** A message from the page that breaks the protocol; `closeCode` is what the server closes with. */
export class ChatProtocolError extends Error {
  override name = 'ChatProtocolError';
  readonly closeCode: number;

  constructor(closeCode: number, message: string) {
    super(message);
    this.closeCode = closeCode;
  }
}

/** Parses one message from the page. Throws `ChatProtocolError` for anything the protocol does not allow. */
export function parseClientMessage(isText: boolean, data: Buffer): ClientMessage {
  if (!isText) throw new ChatProtocolError(CloseUnsupportedData, 'binary messages are not part of the chat protocol');
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch {
    throw new ChatProtocolError(ClosePolicyViolation, 'message is not JSON');
  }
  if (typeof value !== 'object' || value === null) throw new ChatProtocolError(ClosePolicyViolation, 'message is not a JSON object');
  const message = value as Record<string, unknown>;
  if (message.type === 'join' && typeof message.name === 'string') {
    if (message.since === undefined) return { type: 'join', name: message.name };
    if (typeof message.since !== 'string' || message.since.length > 64) throw new ChatProtocolError(ClosePolicyViolation, 'bad resume id');
    return { type: 'join', name: message.name, since: message.since };
  }
  if (message.type === 'say' && typeof message.text === 'string') {
    if (codePointLength(message.text) > MAX_TEXT_LENGTH) {
      throw new ChatProtocolError(CloseMessageTooBig, `text longer than ${MAX_TEXT_LENGTH} characters`);
    }
    return { type: 'say', text: message.text };
  }
  throw new ChatProtocolError(ClosePolicyViolation, 'unknown message type');
}

function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}
