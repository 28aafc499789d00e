import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = join(import.meta.dirname, '../../src/protocol');
const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));

const FORBIDDEN_MODULES = /^(node:)?(net|tls|http|https|http2|dgram|dns|timers|timers\/promises|child_process|cluster|worker_threads|fs|fs\/promises)$/;
const TIMER_CALLS = /\b(setTimeout|setInterval|setImmediate|clearTimeout|clearInterval|clearImmediate|queueMicrotask|process\.nextTick)\s*\(/;

describe('src/protocol is sans-I/O', () => {
  it('has files to check', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  for (const file of files) {
    it(`${file} imports no socket, HTTP, file or timer module and calls no timer`, () => {
      const source = readFileSync(join(dir, file), 'utf8');
      const imports = [...source.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2]!);
      for (const specifier of imports) {
        expect(specifier.startsWith('.') || specifier.startsWith('node:'), `${file} imports ${specifier}`).toBe(true);
        expect(FORBIDDEN_MODULES.test(specifier), `${file} imports ${specifier}`).toBe(false);
        // Relative imports stay inside the core.
        if (specifier.startsWith('.')) expect(specifier.startsWith('./'), `${file} imports ${specifier}`).toBe(true);
      }
      const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
      expect(TIMER_CALLS.test(code), `${file} calls a timer`).toBe(false);
    });
  }
});
