/**
 * The API reference stays whole: `npm run docs` (typedoc, with its validation on) reports no
 * warning, and no doc comment is garbled. The built declarations are checked in
 * test/package/pack.test.ts, which builds them anyway.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { findGarbledComments, garbledLines } from '../../scripts/docs/garbled-comments.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '../..');

describe('doc comments', () => {
  it('recognises the ways comments were garbled, and leaves good ones alone', () => {
    const bad = [
      "/**  'server';|Which side of a connection: clients mask their frames, servers must not (§5.1). */",
      "  /**  undefined;|The client's IP address (behind a proxy, the proxy's). */",
      '/**\n *  undefined {|This end of the TCP connection; undefined when the socket has\n * no address.\n */',
      '/**\n *  Promise<void>;|Called by serve with each new connection.\n */',
    ];
    for (const text of bad) expect(garbledLines('x.ts', text)).toHaveLength(1);
    const good = [
      '/** The `Origin` header; not sent when undefined. */',
      "/**\n * | Option | Default |\n * | --- | --- |\n * | `a` | 1; or 2 |\n */",
      "const table = 'a;|b'; // not a doc comment",
      '/** A union: `string | number`. */',
    ];
    for (const text of good) expect(garbledLines('x.ts', text)).toEqual([]);
  });

  it('has none garbled in src', () => {
    expect(findGarbledComments(join(root, 'src'))).toEqual([]);
  });

  it('npm run docs validates every export without a warning', async () => {
    const typedoc = join(root, 'node_modules', 'typedoc', 'bin', 'typedoc');
    const { stdout, stderr } = await run(process.execPath, [typedoc, '--emit', 'none'], { cwd: root, env: { ...process.env, NO_COLOR: '1' } });
    expect(`${stdout}${stderr}`.split('\n').filter((line) => /warning|error/i.test(line))).toEqual([]);
  }, 120_000);
});
