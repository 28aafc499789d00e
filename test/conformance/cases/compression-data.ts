/**
 * Stand-ins for the five files Autobahn's categories 12 and 13 send slices of (autobahntestsuite's
 * testdata: data1.json, lena512.bmp, pg2229.txt, data1.html, 10.1.1.105.5439.pdf), generated
 * here with the same character: structured text that compresses well, an 8-bit grayscale bitmap
 * with smooth areas and noise, German prose, HTML markup, and a PDF whose streams are already
 * compressed, so that much of it does not compress at all. Each is larger than the largest message
 * (128 KiB), so messages wrap around its end as Autobahn's do. Deterministic, so a failing case
 * sends the same bytes again. The text ones are ASCII, so any slice is valid UTF-8.
 */

export interface TestData {
  /** What it is, for case titles. */
  description: string;
  /** Sent as text (true) or binary messages. */
  text: boolean;
  /** The bytes, made on first use. */
  bytes(): Buffer;
}

/** A small deterministic generator (xorshift32). */
class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
  }
  /** An integer in [0, n). */
  below(n: number): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state % n;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }
}

/** Repeats `piece()` until `size` bytes, then cuts to exactly `size`. */
function fill(size: number, piece: () => string): Buffer {
  const parts: string[] = [];
  let length = 0;
  while (length < size) {
    const p = piece();
    parts.push(p);
    length += p.length;
  }
  return Buffer.from(parts.join('').slice(0, size), 'latin1');
}

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima', 'mike', 'november'];

function json(): Buffer {
  const r = new Random(0x4a534f4e);
  let id = 0;
  return fill(200_000, () => {
    id++;
    const tags = Array.from({ length: 1 + r.below(4) }, () => `"${r.pick(WORDS)}"`).join(', ');
    return (
      `  {\n    "id": ${id},\n    "name": "${r.pick(WORDS)}-${r.pick(WORDS)}-${r.below(1000)}",\n    "active": ${r.below(2) === 1},\n` +
      `    "score": ${r.below(100000) / 1000},\n    "tags": [${tags}],\n    "location": {"lat": ${r.below(180000) / 1000 - 90}, "lon": ${r.below(360000) / 1000 - 180}}\n  },\n`
    );
  });
}

function bitmap(): Buffer {
  const width = 512;
  const height = 512;
  const palette = 256 * 4;
  const header = Buffer.alloc(54 + palette);
  header.write('BM', 0, 'latin1');
  header.writeUInt32LE(header.length + width * height, 2);
  header.writeUInt32LE(header.length, 10);
  header.writeUInt32LE(40, 14);
  header.writeInt32LE(width, 18);
  header.writeInt32LE(height, 22);
  header.writeUInt16LE(1, 26);
  header.writeUInt16LE(8, 28);
  header.writeUInt32LE(width * height, 34);
  header.writeUInt32LE(256, 46);
  for (let i = 0; i < 256; i++) header.fill(i, 54 + i * 4, 54 + i * 4 + 3);
  const r = new Random(0x4c454e41);
  const pixels = Buffer.alloc(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const shade = 128 + 70 * Math.sin(x / 37) * Math.cos(y / 23) + 40 * Math.sin((x + y) / 91);
      pixels[y * width + x] = Math.max(0, Math.min(255, Math.round(shade) + r.below(9) - 4));
    }
  }
  return Buffer.concat([header, pixels]); // 263,222 bytes, as lena512.bmp
}

const GERMAN = [
  'Habe', 'nun', 'ach', 'Philosophie', 'Juristerei', 'und', 'Medizin', 'auch', 'leider', 'Theologie', 'durchaus', 'studiert',
  'mit', 'heissem', 'Bemuehn', 'da', 'steh', 'ich', 'nun', 'ich', 'armer', 'Tor', 'bin', 'so', 'klug', 'als', 'wie', 'zuvor',
  'heisse', 'Magister', 'heisse', 'Doktor', 'gar', 'und', 'ziehe', 'schon', 'an', 'die', 'zehen', 'Jahr', 'herauf', 'herab',
];

function prose(): Buffer {
  const r = new Random(0x46415553);
  return fill(220_000, () => {
    const words = Array.from({ length: 4 + r.below(8) }, () => r.pick(GERMAN));
    const line = words.join(' ');
    return `${line.charAt(0).toUpperCase()}${line.slice(1)}${r.pick([',', '.', '!', ';', ''])}\r\n`;
  });
}

function html(): Buffer {
  const r = new Random(0x48544d4c);
  return fill(380_000, () => {
    const words = Array.from({ length: 3 + r.below(10) }, () => r.pick(WORDS)).join(' ');
    const tag = r.pick(['p', 'li', 'td', 'span', 'h3']);
    return `<div class="${r.pick(WORDS)}" id="n${r.below(10000)}"><${tag}>${words}</${tag}><a href="/${r.pick(WORDS)}/${r.below(100)}.html">${r.pick(WORDS)}</a></div>\n`;
  });
}

function pdf(): Buffer {
  const r = new Random(0x50444621);
  const size = 1_000_000;
  const out = Buffer.alloc(size);
  let at = out.write('%PDF-1.4\n', 0, 'latin1');
  let object = 0;
  while (at < size) {
    object++;
    const length = 512 + r.below(8192);
    at += out.write(`${object} 0 obj\n<< /Length ${length} /Filter /FlateDecode >>\nstream\n`, at, 'latin1');
    // A compressed stream: bytes with no redundancy left to find.
    for (let end = Math.min(size, at + length); at < end; at++) out[at] = r.below(256);
    if (at < size) at += out.write('\nendstream\nendobj\n', at, 'latin1');
  }
  return out;
}

function dataset(description: string, text: boolean, make: () => Buffer): TestData {
  let made: Buffer | null = null;
  return { description, text, bytes: () => (made ??= make()) };
}

/** Autobahn's test data, in the order of categories 12.1 to 12.5. */
export const COMPRESSION_DATA: readonly TestData[] = [
  dataset('JSON (text)', true, json),
  dataset('a 512x512 grayscale bitmap (binary)', false, bitmap),
  dataset('German prose (binary)', false, prose),
  dataset('HTML (text)', true, html),
  dataset('a PDF with compressed streams (binary)', false, pdf),
];

/** Consecutive slices of `bytes`, wrapping around at the end, as Autobahn takes its messages. */
export class Slices {
  private at = 0;
  constructor(private readonly bytes: Buffer) {}

  next(length: number): Buffer {
    const from = this.at;
    const to = (from + length) % this.bytes.length;
    this.at = to;
    if (to > from) return this.bytes.subarray(from, to);
    return Buffer.concat([this.bytes.subarray(from), this.bytes.subarray(0, to)]);
  }
}
