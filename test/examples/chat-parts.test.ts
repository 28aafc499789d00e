/** examples/chat's parts on their own: names, message parsing, and the hub's slow-member rule. */
import { describe, expect, it } from 'vitest';
import { Hub, MAX_PENDING_MESSAGES } from '../../examples/chat/hub.js';
import { DEFAULT_NAME, MAX_NAME_LENGTH, NameRegistry, sanitizeName } from '../../examples/chat/names.js';
import { ChatProtocolError, MAX_TEXT_LENGTH, parseClientMessage } from '../../examples/chat/protocol.js';
import type { Conn, PreparedMessage } from '../../src/index.js';

describe('sanitizeName', () => {
  it.each([
    ['Ada', 'Ada'],
    ['  Ada   Lovelace\t', 'Ada Lovelace'],
    ['Ada\nLovelace', 'Ada Lovelace'],
    ['\u202eadA', 'adA'], // a right-to-left override could make one name look like another
    ['A\u200bd\u200ba', 'Ada'],
    ['\u0000\u0007', DEFAULT_NAME],
    ['', DEFAULT_NAME],
    ['e\u0301', '\u00e9'], // NFC: one way to write each name
    ['x'.repeat(40), 'x'.repeat(MAX_NAME_LENGTH)],
    ['😀'.repeat(30), '😀'.repeat(MAX_NAME_LENGTH)], // counted in characters, never split in half
  ])('%j → %j', (input, expected) => {
    expect(sanitizeName(input)).toBe(expected);
  });
});

describe('NameRegistry', () => {
  it('suffixes taken names, ignoring case, and frees them on release', () => {
    const names = new NameRegistry();
    expect(names.claim('Ada')).toBe('Ada');
    expect(names.claim('ada')).toBe('ada (2)');
    expect(names.claim('ADA')).toBe('ADA (3)');
    names.release('ada (2)');
    expect(names.claim('Ada')).toBe('Ada (2)');
    expect(names.size).toBe(3);
  });
});

describe('parseClientMessage', () => {
  const parse = (value: unknown, text = true): ReturnType<typeof parseClientMessage> =>
    parseClientMessage(text, Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)));
  const codeOf = (fn: () => unknown): number | undefined => {
    try {
      fn();
    } catch (err) {
      if (err instanceof ChatProtocolError) return err.closeCode;
      throw err;
    }
    return undefined;
  };

  it('accepts join and say', () => {
    expect(parse({ type: 'join', name: 'Ada', extra: 1 })).toEqual({ type: 'join', name: 'Ada' });
    expect(parse({ type: 'say', text: 'x'.repeat(MAX_TEXT_LENGTH) })).toEqual({ type: 'say', text: 'x'.repeat(MAX_TEXT_LENGTH) });
    expect(parse({ type: 'say', text: '😀'.repeat(MAX_TEXT_LENGTH) }).type).toBe('say'); // characters, not UTF-16 units
  });

  it('refuses everything else with a close code', () => {
    expect(codeOf(() => parse({ type: 'join', name: 'Ada' }, false))).toBe(1003);
    expect(codeOf(() => parse('{"type":'))).toBe(1008);
    expect(codeOf(() => parse('null'))).toBe(1008);
    expect(codeOf(() => parse('"join"'))).toBe(1008);
    expect(codeOf(() => parse({ type: 'join', name: 42 }))).toBe(1008);
    expect(codeOf(() => parse({ type: 'say' }))).toBe(1008);
    expect(codeOf(() => parse({ type: 'welcome', name: 'Ada', users: [] }))).toBe(1008);
    expect(codeOf(() => parse({ type: 'say', text: 'x'.repeat(MAX_TEXT_LENGTH + 1) }))).toBe(1009);
  });
});

/** A connection that records what the hub does with it; its writes finish only when told to. */
class FakeConn {
  readonly sent: string[] = [];
  closedWith: number | null = null;
  stalled = false;
  private readonly waiting: Array<() => void> = [];

  writePreparedMessage(message: PreparedMessage): Promise<void> {
    this.sent.push(message.data.toString());
    if (!this.stalled) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  close(code: number): Promise<void> {
    this.closedWith = code;
    return Promise.resolve();
  }

  closeNow(): void {}

  asConn(): Conn {
    return this as unknown as Conn;
  }
}

describe('Hub', () => {
  it('sends one prepared message to every member', () => {
    const hub = new Hub();
    const a = new FakeConn();
    const b = new FakeConn();
    const ada = hub.join(a.asConn(), 'Ada');
    hub.join(b.asConn(), 'Bob');
    hub.say(ada, 'hi');
    const last = (conn: FakeConn): unknown => JSON.parse(conn.sent.at(-1)!);
    expect(last(a)).toMatchObject({ type: 'message', from: 'Ada', text: 'hi' });
    expect(last(b)).toMatchObject({ type: 'message', from: 'Ada', text: 'hi' });
    expect(() => hub.join(a.asConn(), 'again')).toThrow(/joined already/);
  });

  it(`drops a member with ${MAX_PENDING_MESSAGES} messages in flight (1008) and tells the others`, async () => {
    const hub = new Hub();
    const slow = new FakeConn();
    const fast = new FakeConn();
    hub.join(slow.asConn(), 'Slow');
    const talker = hub.join(fast.asConn(), 'Fast');
    await Promise.resolve();
    slow.stalled = true;
    for (let i = 0; i < MAX_PENDING_MESSAGES; i++) {
      hub.say(talker, `line ${i}`);
      await new Promise((resolve) => setImmediate(resolve)); // the fast member's writes complete
    }
    expect(slow.closedWith).toBeNull();
    hub.say(talker, 'one too many');
    expect(slow.closedWith).toBe(1008);
    expect(hub.names()).toEqual(['Fast']);
    expect(fast.sent.slice(-2).map((m) => JSON.parse(m))).toContainEqual({ type: 'left', name: 'Slow' });
    const received = slow.sent.length;
    hub.say(talker, 'after');
    expect(slow.sent.length).toBe(received); // nothing more for the dropped member
    expect(JSON.parse(slow.sent.at(-1)!)).toMatchObject({ text: `line ${MAX_PENDING_MESSAGES - 1}` });
  });
});
