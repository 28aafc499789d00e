/**
 * Message contents, generated deterministically so every run and every server sees the same bytes.
 */

/** Random-looking bytes (xorshift32): what a binary protocol sends; incompressible. */
export function binaryPayload(size: number, seed = 0x9e3779b9): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima'];

/**
 * JSON of exactly `size` bytes (at least 2): an array of records like the ones chat and telemetry
 * servers exchange, with varying numbers and words so it compresses the way real JSON does
 * (several times, not a thousand times). Padding is whitespace, which JSON allows.
 */
export function jsonLikePayload(size: number): Buffer {
  if (size < 2) throw new RangeError('JSON needs at least 2 bytes');
  let x = 0x2545f491;
  const next = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  let body = '';
  for (let id = 1; ; id++) {
    const record = JSON.stringify({
      id,
      user: `${WORDS[next() % WORDS.length]}-${next() % 10_000}`,
      active: next() % 2 === 0,
      score: (next() % 100_000) / 100,
      tags: [WORDS[next() % WORDS.length], WORDS[next() % WORDS.length]],
      text: `${WORDS[next() % WORDS.length]} ${WORDS[next() % WORDS.length]} ${next().toString(36)}`,
    });
    const candidate = body === '' ? record : `${body},${record}`;
    if (candidate.length + 2 > size) break;
    body = candidate;
  }
  return Buffer.from(`[${body}${' '.repeat(size - 2 - body.length)}]`, 'utf8');
}

/** A chat-style JSON message of exactly `size` bytes (at least 40), as broadcast servers fan out. */
export function chatMessage(size: number): Buffer {
  const prefix = '{"type":"chat","room":"lobby","text":"';
  const suffix = '"}';
  if (size < prefix.length + suffix.length) throw new RangeError(`a chat message needs at least ${prefix.length + suffix.length} bytes`);
  const words = WORDS.join(' ');
  let text = '';
  while (text.length < size - prefix.length - suffix.length) text += `${words} `;
  return Buffer.from(prefix + text.slice(0, size - prefix.length - suffix.length) + suffix, 'utf8');
}
