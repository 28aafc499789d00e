/**
 * Rules every file in src keeps, checked on the source text:
 * - at run time it imports only Node's built-ins (`node:`) and its own files: `dependencies` stays empty;
 * - it imports `Buffer` and `process` rather than reading the globals: in Node 20 each global is a
 *   getter, about 8 ns a read, and the per-message paths read `Buffer` several times a message.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '../../src');
const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts'))
  .map((f) => ({ name: f, text: withoutComments(readFileSync(join(SRC, f), 'utf8')) }));

function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

/** Module specifiers of the imports that stay at run time (not `import type`). */
function runtimeImports(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/^import\s+(?!type\s)[^;]*?from\s+'([^']+)'/gms)) found.push(m[1]!);
  for (const m of text.matchAll(/import\(\s*'([^']+)'\s*\)/g)) found.push(m[1]!);
  return found;
}

describe('the source', () => {
  it('is there', () => {
    expect(files.length).toBeGreaterThan(50);
  });

  it('imports only node: built-ins and its own files at run time', () => {
    const foreign = files.flatMap((f) => runtimeImports(f.text).filter((s) => !s.startsWith('node:') && !s.startsWith('.')).map((s) => `${f.name}: ${s}`));
    expect(foreign).toEqual([]);
  });

  it('imports Buffer and process instead of reading the globals', () => {
    const global = files.flatMap((f) => {
      const missing: string[] = [];
      if (/(?<![\w.])Buffer\.\w|instanceof Buffer\b/.test(f.text) && !/import \{[^}]*\bBuffer\b[^}]*\} from 'node:buffer'/.test(f.text)) missing.push(`${f.name}: Buffer`);
      if (/(?<![\w.])process\.\w/.test(f.text) && !/from 'node:process'/.test(f.text)) missing.push(`${f.name}: process`);
      return missing;
    });
    expect(global).toEqual([]);
  });
});
