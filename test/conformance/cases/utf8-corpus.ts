/**
 * The UTF-8 test sequences of Autobahn's cases 6.5 to 6.23, which follow Markus Kuhn's "UTF-8
 * decoder capability and stress test" (first and last sequences of each length, boundaries,
 * unexpected continuation bytes, lonely and truncated sequences, impossible bytes, overlong
 * forms, surrogates, non-characters). Groups and entries are in Autobahn's order, so entry j of
 * group g is case 6.g.j.
 */

export interface Utf8Sample {
  id: string;
  bytes: Buffer;
  valid: boolean;
}

interface Group {
  title: string;
  /** Each entry: hex bytes and whether they are valid UTF-8. */
  entries: Array<[hex: string, valid: boolean]>;
}

const hex = (...bytes: number[]): string => Buffer.from(bytes).toString('hex');
const all = (valid: boolean, ...hexes: string[]): Array<[string, boolean]> => hexes.map((h) => [h, valid]);

/** κόσμε: Greek, with 2- and 3-byte sequences. */
const KOSME = 'cebae1bdb9cf83cebcceb5';
/** Where the code points of κόσμε end: a prefix is valid exactly when it ends at one. */
const KOSME_BOUNDARIES = new Set([2, 5, 7, 9, 11]);
const TRUNCATED = ['c0', 'e080', 'f08080', 'f8808080', 'fc80808080', 'df', 'efbf', 'f7bfbf', 'fbbfbfbf', 'fdbfbfbfbf'];

/** Each start byte of [from, to) followed by a space. */
const lonelyStarts = (from: number, to: number): string => {
  const out: number[] = [];
  for (let b = from; b < to; b++) out.push(b, 0x20);
  return hex(...out);
};

/** U+xFFFE and U+xFFFF of the supplementary planes 1–16: non-characters, yet valid UTF-8. */
const planeNonCharacters = (): string[] => {
  const out: string[] = [];
  for (const lead of [0xf0, 0xf1, 0xf2, 0xf3, 0xf4]) {
    for (const second of [0x8f, 0x9f, 0xaf, 0xbf]) {
      if (lead === 0xf4 && second !== 0x8f) continue; // above U+10FFFF
      if (lead === 0xf0 && second === 0x8f) continue; // overlong
      for (const last of [0xbe, 0xbf]) out.push(hex(lead, second, 0xbf, last));
    }
  }
  return out;
};

const GROUPS: Group[] = [
  { title: 'valid UTF-8 sequences', entries: all(true, '68656c6c6f24776f726c64', '68656c6c6fc2a2776f726c64', '68656c6c6fe282ac776f726c64', '68656c6c6ff0a4ada2776f726c64', KOSME) },
  {
    title: 'every prefix of a text with multi-byte code points',
    entries: Array.from({ length: 11 }, (_, i) => [KOSME.slice(0, 2 * (i + 1)), KOSME_BOUNDARIES.has(i + 1)] as [string, boolean]),
  },
  { title: 'first possible sequence of each length', entries: all(true, '00', 'c280', 'e0a080', 'f0908080') },
  { title: 'first possible sequence of length 5 and 6 (beyond Unicode)', entries: all(false, 'f888808080', 'fc8480808080') },
  { title: 'last possible sequence of each length', entries: all(true, '7f', 'dfbf', 'efbfbf', 'f48fbfbf') },
  { title: 'last possible sequence of length 4, 5 and 6 (beyond U+10FFFF)', entries: all(false, 'f7bfbfbf', 'fbbfbfbfbf', 'fdbfbfbfbfbf') },
  { title: 'other boundary conditions', entries: [...all(true, 'ed9fbf', 'ee8080', 'efbfbd', 'f48fbfbf'), ['f4908080', false]] },
  {
    title: 'unexpected continuation bytes',
    entries: all(false, '80', 'bf', '80bf', '80bf80', '80bf80bf', '80bf80bf80', '80bf80bf80bf', hex(...Array.from({ length: 0x3f }, (_, i) => 0x80 + i))),
  },
  {
    title: 'lonely start bytes followed by a space',
    entries: all(false, lonelyStarts(0xc0, 0xdf), lonelyStarts(0xe0, 0xef), lonelyStarts(0xf0, 0xf7), lonelyStarts(0xf8, 0xfb), lonelyStarts(0xfc, 0xfd)),
  },
  { title: 'sequences with the last continuation byte missing', entries: all(false, ...TRUNCATED) },
  { title: 'concatenated incomplete sequences', entries: all(false, TRUNCATED.join('')) },
  { title: 'impossible bytes', entries: all(false, 'fe', 'ff', 'fefeffff') },
  { title: 'overlong forms of "/"', entries: all(false, 'c0af', 'e080af', 'f08080af', 'f8808080af', 'fc80808080af') },
  { title: 'maximum overlong sequences', entries: all(false, 'c1bf', 'e09fbf', 'f08fbfbf', 'f887bfbfbf', 'fc83bfbfbfbf') },
  { title: 'overlong forms of NUL', entries: all(false, 'c080', 'e08080', 'f0808080', 'f880808080', 'fc8080808080') },
  { title: 'single UTF-16 surrogates', entries: all(false, 'eda080', 'edadbf', 'edae80', 'edafbf', 'edb080', 'edbe80', 'edbfbf') },
  {
    title: 'paired UTF-16 surrogates',
    entries: all(false, 'eda080edb080', 'eda080edbfbf', 'edadbfedb080', 'edadbfedbfbf', 'edae80edb080', 'edae80edbfbf', 'edafbfedb080', 'edafbfedbfbf'),
  },
  { title: 'non-characters (valid UTF-8)', entries: all(true, 'efbfbe', 'efbfbf', ...planeNonCharacters()) },
  { title: 'Unicode specials, the replacement character among them', entries: all(true, 'efbfb9', 'efbfba', 'efbfbb', 'efbfbc', 'efbfbd', 'efbfbe', 'efbfbf') },
];

export const UTF8_CORPUS: Array<{ group: string; samples: Utf8Sample[] }> = GROUPS.map((g, i) => ({
  group: g.title,
  samples: g.entries.map(([h, valid], j) => ({ id: `6.${i + 5}.${j + 1}`, bytes: Buffer.from(h, 'hex'), valid })),
}));
