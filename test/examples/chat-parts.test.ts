/** examples/chat's parts on their own: names and message parsing (the slow-member rule is the library Hub's: test/hub). */
import { describe, expect, it } from 'vitest';
import { DEFAULT_NAME, MAX_NAME_LENGTH, NameRegistry, sanitizeName } from '../../examples/chat/names.js';
import { ChatProtocolError, MAX_TEXT_LENGTH, parseClientMessage } from '../../examples/chat/protocol.js';

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
    expect(parse({ type: 'join', name: 'Ada', since: '1-0' })).toEqual({ type: 'join', name: 'Ada', since: '1-0' });
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
    expect(codeOf(() => parse({ type: 'join', name: 'Ada', since: 42 }))).toBe(1008);
    expect(codeOf(() => parse({ type: 'join', name: 'Ada', since: 'x'.repeat(65) }))).toBe(1008);
  });
});
