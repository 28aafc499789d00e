/**
 * The README's TypeScript examples, as files that can be type-checked and run: every ```ts block
 * becomes a module (.mts: tsx would take a .ts file under node_modules for CommonJS) under
 * node_modules/.cache/rfc6455-readme/, with `rfc6455` imports pointed at
 * the sources. test/docs/readme-examples.test.ts checks and runs them, so the README cannot drift.
 *
 * Each block is a whole program, of one of three kinds, told apart by what it reads:
 * - a server reads `process.env.PORT`, and prints `listening on ws://...` once it listens;
 * - a client reads `process.env.WS_URL` (the test runs an echo server for it);
 * - anything else is a script that must run to completion.
 *
 *   npx tsx scripts/readme-examples.ts      # writes the files and prints where they are
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export type ExampleKind = 'server' | 'client' | 'script';

/** One ```ts block of the README. */
export interface ReadmeExample {
  /** 1-based line of the block's first code line in README.md. */
  line: number;
  /** The heading the block sits under. */
  section: string;
  kind: ExampleKind;
  code: string;
}

/** A written example: its file, ready for `tsc` and `node --import tsx`. */
export interface WrittenExample extends ReadmeExample {
  file: string;
}

const root = fileURLToPath(new URL('..', import.meta.url));
/** Git-ignored, as node_modules is. */
export const EXAMPLES_DIR = join(root, 'node_modules', '.cache', 'rfc6455-readme');

/** Every ```ts block of `markdown`, in order. */
export function extractExamples(markdown: string): ReadmeExample[] {
  const examples: ReadmeExample[] = [];
  const lines = markdown.split('\n');
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!;
    if (text.startsWith('#')) section = text.replace(/^#+\s*/, '');
    if (text.trim() !== '```ts') continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end]!.trim() !== '```') end++;
    const code = lines.slice(start, end).join('\n') + '\n';
    examples.push({ line: start + 1, section, kind: kindOf(code), code });
    i = end;
  }
  return examples;
}

function kindOf(code: string): ExampleKind {
  if (code.includes('process.env.PORT')) return 'server';
  if (code.includes('process.env.WS_URL')) return 'client';
  return 'script';
}

/** Points `'rfc6455'` and `'rfc6455/<entry>'` imports at the sources, relative to `fromDir`. */
export function pointAtSources(code: string, fromDir: string): string {
  return code.replace(/from 'rfc6455(\/[a-z-]+)?'/g, (_match, entry: string | undefined) => {
    const target = join(root, 'src', entry ?? '', 'index.js');
    return `from '${relative(fromDir, target).split('\\').join('/')}'`;
  });
}

/** Writes every example of README.md (and a tsconfig for them) into a fresh `dir`. */
export function writeExamples(dir = EXAMPLES_DIR, readme = join(root, 'README.md')): WrittenExample[] {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const written = extractExamples(readFileSync(readme, 'utf8')).map((example) => {
    const file = join(dir, `readme-line-${String(example.line).padStart(4, '0')}.mts`);
    writeFileSync(file, `// README.md line ${example.line} (${example.section})\n${pointAtSources(example.code, dir)}`);
    return { ...example, file };
  });
  const tsconfig = {
    extends: relative(dir, join(root, 'tsconfig.json')).split('\\').join('/'),
    compilerOptions: { noEmit: true, rootDir: relative(dir, root).split('\\').join('/') },
    include: ['*.mts'],
  };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  return written;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const example of writeExamples()) console.log(`${example.kind.padEnd(6)} ${relative(root, example.file)}  (${example.section})`);
}
