/**
 * Just enough of source maps (revision 3) to turn a position in compiled JavaScript into the
 * TypeScript line it came from: for profile summaries that point at `src/connection/conn.ts:412`, not at
 * a line of the build output.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DIGIT = new Map([...BASE64].map((c, i) => [c, i]));

/** Decodes one segment of base64 VLQ numbers (each: 5 bits a digit, continuation bit 32, sign in bit 0). */
export function decodeVlq(segment: string): number[] {
  const out: number[] = [];
  let value = 0;
  let shift = 0;
  for (const c of segment) {
    const digit = DIGIT.get(c);
    if (digit === undefined) throw new Error(`invalid base64 VLQ character ${JSON.stringify(c)}`);
    value += (digit & 31) * 2 ** shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    out.push(value % 2 === 1 ? -Math.floor(value / 2) : Math.floor(value / 2));
    value = 0;
    shift = 0;
  }
  return out;
}

interface Segment {
  column: number;
  source: number;
  line: number;
}

export interface OriginalPosition {
  /** Absolute path of the original source. */
  source: string;
  /** 0-based line in the original source. */
  line: number;
}

/** The mappings of one generated file, by generated line, as absolute source paths. */
export class ParsedSourceMap {
  private readonly lines: Segment[][] = [];
  private readonly sources: string[];

  constructor(json: { sources: string[]; sourceRoot?: string; mappings: string }, mapPath: string) {
    const base = resolve(dirname(mapPath), json.sourceRoot ?? '');
    this.sources = json.sources.map((s) => resolve(base, s));
    let source = 0;
    let line = 0;
    for (const text of json.mappings.split(';')) {
      const segments: Segment[] = [];
      let column = 0;
      for (const seg of text.split(',')) {
        if (seg === '') continue;
        const v = decodeVlq(seg);
        column += v[0]!;
        if (v.length >= 4) {
          source += v[1]!;
          line += v[2]!;
          segments.push({ column, source, line });
        }
      }
      this.lines.push(segments);
    }
  }

  /** The original position of generated (0-based) `line`:`column`, or null when unmapped. */
  lookup(line: number, column: number): OriginalPosition | null {
    const segments = this.lines[line];
    if (segments === undefined || segments.length === 0) return null;
    let best: Segment | undefined;
    for (const s of segments) {
      if (s.column > column) break;
      best = s;
    }
    best ??= segments[0]!;
    const source = this.sources[best.source];
    return source === undefined ? null : { source, line: best.line };
  }
}

/** Source maps found next to compiled files (`file.js.map`), loaded once each. */
export class SourceMapIndex {
  private readonly cache = new Map<string, ParsedSourceMap | null>();

  originalPosition(generatedPath: string, line: number, column: number): OriginalPosition | null {
    let map = this.cache.get(generatedPath);
    if (map === undefined) {
      const mapPath = `${generatedPath}.map`;
      map = existsSync(mapPath) ? new ParsedSourceMap(JSON.parse(readFileSync(mapPath, 'utf8')), mapPath) : null;
      this.cache.set(generatedPath, map);
    }
    return map === null ? null : map.lookup(line, column);
  }
}
