/**
 * Finds doc comments that an automated edit mangled: a fragment of the code they describe pasted
 * in front of the text and joined with `|` (`/**  'server';|Which side of...`), or a comment that
 * opens with stray spaces. They ship in the `.d.ts` files that editors show, so they are checked
 * in the sources and in the built declarations.
 *
 *   npx tsx scripts/docs/garbled-comments.ts [dir...]     # default: src; exits 1 when one is found
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

/** One mangled comment line. */
export interface GarbledComment {
  file: string;
  /** 1-based. */
  line: number;
  text: string;
}

/** Code joined to prose by `|`: `undefined;|The ...`, `undefined {|This ...`. */
const CODE_JOINED_TO_TEXT = /[;{]\|\S/;
/** `/**` followed by two or more spaces before the text: where the pasted fragment used to start. */
const STRAY_OPENING = /\/\*\*\s{2,}\S/;

/** The garbled lines of doc comments in one file's text. */
export function garbledLines(file: string, source: string): GarbledComment[] {
  const found: GarbledComment[] = [];
  let inDoc = false;
  source.split('\n').forEach((text, index) => {
    const opens = text.includes('/**');
    if (opens) inDoc = true;
    if (inDoc && (CODE_JOINED_TO_TEXT.test(text) || (opens && STRAY_OPENING.test(text)))) {
      found.push({ file, line: index + 1, text: text.trim() });
    }
    if (text.includes('*/')) inDoc = false;
  });
  return found;
}

/** Every garbled doc-comment line in the `.ts` files under `dir` (declarations included). */
export function findGarbledComments(dir: string, root = dir): GarbledComment[] {
  const found: GarbledComment[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...findGarbledComments(path, root));
    else if (name.endsWith('.ts')) found.push(...garbledLines(relative(root, path), readFileSync(path, 'utf8')));
  }
  return found;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dirs = process.argv.length > 2 ? process.argv.slice(2) : ['src'];
  const found = dirs.flatMap((dir) => findGarbledComments(dir).map((g) => ({ ...g, file: join(dir, g.file) })));
  for (const g of found) console.log(`${g.file}:${g.line}: ${g.text}`);
  process.exitCode = found.length === 0 ? 0 : 1;
}
