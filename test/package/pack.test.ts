/**
 * What users get from npm: `npm pack` (which builds through `prepack`) holds only dist (with
 * type declarations), README.md, LICENSE and package.json; the tarball installs into a fresh
 * project, works there from an ESM script (a real round trip) and, on Node 20.19 and newer, from
 * a CommonJS one through `require` (require of ESM); it type-checks with the types it ships,
 * which catch a wrong call, and their doc comments are not garbled.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findGarbledComments } from '../../scripts/docs/garbled-comments.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
/** require() of an ES module works without a flag from Node 20.19 (and 22.12). */
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
const requiresEsm = major > 22 || (major === 22 && minor >= 12) || (major === 20 && minor >= 19);

/**
 * Relative imports in the shipped .js and .d.ts files whose target is not shipped, as
 * `file -> target` (a .d.ts file's `./x.js` means `./x.d.ts`).
 */
function missingImports(installed: string, paths: string[]): string[] {
  const shipped = new Set(paths);
  const missing: string[] = [];
  for (const file of paths.filter((p) => p.endsWith('.js') || p.endsWith('.d.ts'))) {
    const text = readFileSync(join(installed, file), 'utf8');
    for (const [, specifier] of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      let target = posix.join(dirname(file), specifier!);
      if (file.endsWith('.d.ts')) target = target.replace(/\.js$/, '.d.ts');
      if (!shipped.has(target)) missing.push(`${file} -> ${target}`);
    }
  }
  return missing;
}

interface PackResult {
  filename: string;
  files: Array<{ path: string }>;
}

describe('the npm package', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rfc6455-pack-'));
  const project = join(dir, 'consumer');
  const packedDir = join(project, 'node_modules', 'rfc6455');
  let packed: PackResult;

  beforeAll(async () => {
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
    packed = (JSON.parse(stdout.slice(stdout.indexOf('['))) as PackResult[])[0]!;
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    // Offline: the package has no dependencies, so nothing is fetched.
    await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', join(dir, packed.filename)], { cwd: project });
  }, 180_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('holds dist with .js and .d.ts, README.md, LICENSE and package.json, and nothing else', () => {
    const paths = packed.files.map((f) => f.path);
    expect(paths.filter((p) => !p.startsWith('dist/')).sort()).toEqual(['LICENSE', 'README.md', 'package.json']);
    for (const entry of ['dist/index.js', 'dist/index.d.ts', 'dist/protocol/index.js', 'dist/protocol/index.d.ts', 'dist/redis/index.js', 'dist/redis/index.d.ts']) {
      expect(paths).toContain(entry);
    }
    // Every module the entry points reach is shipped (checked by import, not by a list of files
    // that would go stale whenever src/ is reorganised): no relative import points outside it.
    expect(missingImports(packedDir, paths)).toEqual([]);
    expect(paths.filter((p) => /(^|\/)(src|test|scripts|examples|docs|node_modules)\//.test(p))).toEqual([]);
    expect(paths.filter((p) => p.endsWith('.ts') && !p.endsWith('.d.ts'))).toEqual([]);
    // Maps would point at ../src, which is not shipped.
    expect(paths.filter((p) => p.endsWith('.map'))).toEqual([]);
  });

  it('imports from an ESM script and works: serve, dial, echo, close', async () => {
    writeFileSync(
      join(project, 'check.mjs'),
      `import { Dialer, TextMessage, Upgrader, serve } from 'rfc6455';
import { FrameParser, computeAccept } from 'rfc6455/protocol';
import { fromIoredis, fromNodeRedis, redisBackplane } from 'rfc6455/redis';
const server = await serve({ port: 0 }, async (conn) => {
  for await (const { type, data } of conn) await conn.writeMessage(type, data);
});
const { conn } = await new Dialer().dial(server.url);
await conn.writeMessage(TextMessage, 'from the packed package');
const { data } = await conn.readMessage();
await conn.close();
await server.close();
console.log(JSON.stringify({
  echoed: data.toString(),
  upgrader: typeof Upgrader,
  parser: typeof FrameParser,
  accept: computeAccept('dGhlIHNhbXBsZSBub25jZQ=='),
  redis: [typeof redisBackplane, typeof fromNodeRedis, typeof fromIoredis],
}));
`,
    );
    const { stdout } = await run(process.execPath, ['check.mjs'], { cwd: project });
    expect(JSON.parse(stdout)).toEqual({
      echoed: 'from the packed package',
      upgrader: 'function',
      parser: 'function',
      accept: 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=', // RFC 6455 §1.3
      redis: ['function', 'function', 'function'],
    });
  }, 180_000);

  it.runIf(requiresEsm)('works through require() from a CommonJS script', async () => {
    writeFileSync(
      join(project, 'check.cjs'),
      `const { Dialer, TextMessage, serve } = require('rfc6455');
const { computeAccept } = require('rfc6455/protocol');
(async () => {
  const server = await serve({ port: 0, path: '/cjs' }, async (conn) => {
    for await (const { type, data } of conn) await conn.writeMessage(type, data);
  });
  const { conn } = await new Dialer().dial(server.url);
  await conn.writeMessage(TextMessage, 'from require');
  const { data } = await conn.readMessage();
  await conn.close();
  await server.close();
  console.log(JSON.stringify({ echoed: data.toString(), accept: computeAccept('dGhlIHNhbXBsZSBub25jZQ==') }));
})();
`,
    );
    const { stdout, stderr } = await run(process.execPath, ['check.cjs'], { cwd: project });
    expect(JSON.parse(stdout)).toEqual({ echoed: 'from require', accept: 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=' });
    expect(stderr).toBe('');
  }, 60_000);

  it('ships declarations without garbled doc comments', () => {
    expect(findGarbledComments(join(project, 'node_modules', 'rfc6455', 'dist'))).toEqual([]);
  });

  it('type-checks against its declarations, and they catch a wrong call', async () => {
    const tsconfig = (files: string[]) => ({
      compilerOptions: {
        strict: true,
        noEmit: true,
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        skipLibCheck: false, // the shipped .d.ts files are checked too
        types: ['node'],
        typeRoots: [join(root, 'node_modules', '@types')],
      },
      files,
    });
    writeFileSync(
      join(project, 'good.ts'),
      `import { type Conn, type DialResult, Dialer, TextMessage, Upgrader, CloseNormalClosure } from 'rfc6455';
import { type FrameHeader, decodeFrameHeader, encodeFrame } from 'rfc6455/protocol';
export async function hello(url: string): Promise<string> {
  const result: DialResult = await new Dialer({ enableCompression: true }).dial(url);
  const conn: Conn = result.conn;
  await conn.writeMessage(TextMessage, 'hi');
  const { data } = await conn.readMessage();
  await conn.close(CloseNormalClosure);
  return data.toString('utf8');
}
export const upgrader = new Upgrader({ subprotocols: ['chat'], readLimit: 1024 });
export const header: FrameHeader | null = decodeFrameHeader(encodeFrame({ opcode: 1 }), 0, 2);
`,
    );
    writeFileSync(
      join(project, 'bad.ts'),
      `import { Dialer } from 'rfc6455';
const { conn } = await new Dialer().dial('ws://localhost/');
await conn.writeMessage('text', 'a string is not a message type');
`,
    );
    // One compilation of both (a second tsc over @types/node would double the cost): the good
    // file must check clean, and the wrong call be the one error.
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(tsconfig(['good.ts', 'bad.ts'])));
    const output = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project }).then(
      () => '',
      (err: { stdout: string }) => err.stdout,
    );
    const errors = output.split('\n').filter((line) => /error TS\d+/.test(line));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^bad\.ts\(3,\d+\): error TS2345: Argument of type '"text"' is not assignable/);
  }, 180_000);
});
