import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { type CpuProfile, renderSummary, summarizeProfile } from '../../scripts/bench/cpuprofile-top.js';
import { ParsedSourceMap, SourceMapIndex, decodeVlq } from '../../scripts/bench/source-map.js';

describe('source maps', () => {
  it('decodes base64 VLQ', () => {
    expect(decodeVlq('AAAA')).toEqual([0, 0, 0, 0]);
    expect(decodeVlq('CADF')).toEqual([1, 0, -1, -2]);
    expect(decodeVlq('gB')).toEqual([16]);
    expect(decodeVlq('2Hw+B')).toEqual([123, 1000]);
    expect(() => decodeVlq('A!')).toThrow(/invalid/);
  });

  it('maps a compiled position back to the TypeScript line it came from', () => {
    const source = ['interface Unused { a: number }', 'type Gone = string;', '', 'export function answer(): number {', '  return 42;', '}', ''].join('\n');
    const out = ts.transpileModule(source, { compilerOptions: { sourceMap: true, module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 }, fileName: 'answer.ts' });
    const js = out.outputText.split('\n');
    const line = js.findIndex((l) => l.includes('function answer'));
    const map = new ParsedSourceMap(JSON.parse(out.sourceMapText!), '/project/dist/answer.js.map');
    expect(map.lookup(line, js[line]!.indexOf('function'))).toEqual({ source: '/project/dist/answer.ts', line: 3 });
    expect(map.lookup(10_000, 0)).toBeNull();
  });
});

describe('cpuprofile summaries', () => {
  const root = mkdtempSync(join(tmpdir(), 'bench-profile-'));
  const frame = (functionName: string, url: string, lineNumber = 0) => ({ functionName, url, lineNumber, columnNumber: 0 });
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('(root)', '') },
      { id: 2, callFrame: frame('(idle)', '') },
      { id: 3, callFrame: frame('parse', pathToFileURL(join(root, 'src/parser.js')).href, 9) },
      { id: 4, callFrame: frame('', pathToFileURL(join(root, 'src/parser.js')).href, 30) },
      { id: 5, callFrame: frame('writev', '') },
      { id: 6, callFrame: frame('(garbage collector)', '') },
      { id: 7, callFrame: frame('parse', pathToFileURL(join(root, 'src/parser.js')).href, 9) },
    ],
    samples: [3, 3, 2, 5, 4, 6, 7, 3],
    timeDeltas: [1000, 1000, 5000, 2000, 500, 500, 1000, 1000],
  };

  it('adds self time per function (merging nodes of one function), leaves idle out, groups by file', () => {
    const s = summarizeProfile(profile, root, new SourceMapIndex());
    expect(s.idleMs).toBe(5);
    expect(s.busyMs).toBe(7);
    expect(s.functions.map((f) => [f.name, f.location, f.selfMs])).toEqual([
      ['parse', 'src/parser.js:10', 4],
      ['writev', '', 2],
      ['(anonymous)', 'src/parser.js:31', 0.5],
      ['(garbage collector)', '', 0.5],
    ]);
    expect(s.files).toEqual([
      { file: 'src/parser.js', selfMs: 4.5 },
      { file: '(native)', selfMs: 2 },
      { file: '(garbage collector)', selfMs: 0.5 },
    ]);
    const text = renderSummary('Example', s, 2);
    expect(text).toContain('| 57.1% | 4 | `parse` | src/parser.js:10 |');
    expect(text).not.toContain('(anonymous)');
  });

  it('reports TypeScript locations when a source map sits next to the compiled file', () => {
    mkdirSync(join(root, 'src'), { recursive: true });
    const compiled = join(root, 'src/mapped.js');
    const out = ts.transpileModule('type T = number;\n\nexport function parse(): T {\n  return 1;\n}\n', {
      compilerOptions: { sourceMap: true, module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      fileName: 'mapped.ts',
    });
    const js = out.outputText.split('\n');
    const line = js.findIndex((l) => l.includes('function parse'));
    writeFileSync(`${compiled}.map`, out.sourceMapText!);
    const s = summarizeProfile(
      { nodes: [{ id: 1, callFrame: { functionName: 'parse', url: pathToFileURL(compiled).href, lineNumber: line, columnNumber: js[line]!.indexOf('function') } }], samples: [1], timeDeltas: [1000] },
      root,
    );
    expect(s.functions[0]!.location).toBe('src/mapped.ts:3');
  });
});
