/**
 * Finding the Bun binary that anchors the benchmark beside `ws`: the `bun` dev dependency. Its
 * postinstall script only moves the platform package's binary into `bun/bin/bun.exe`; npm may
 * skip that script (install scripts are gated), so the platform package's own binary is tried
 * too. No binary, no Bun column: the bench says so in one line and goes on.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BunBinary {
  path: string;
  version: string;
}

/** Where a binary may be, relative to `node_modules`, most likely first. */
export function bunCandidates(platform: string, arch: string, musl: boolean): string[] {
  const os = platform === 'win32' ? 'windows' : platform;
  const cpu = arch === 'arm64' ? 'aarch64' : arch;
  const exe = platform === 'win32' ? 'bun.exe' : 'bun';
  const flavours = musl ? ['-musl', '-musl-baseline'] : ['', '-baseline'];
  return ['bun/bin/bun.exe', ...flavours.map((f) => `@oven/bun-${os}-${cpu}${f}/bin/${exe}`)];
}

function nodeModules(): string | null {
  try {
    // bun/package.json sits at node_modules/bun/package.json.
    return dirname(dirname(fileURLToPath(import.meta.resolve('bun/package.json'))));
  } catch {
    return null;
  }
}

function isMusl(): boolean {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return report?.header?.glibcVersionRuntime === undefined;
}

let found: BunBinary | null | undefined;

/** The first candidate that runs and tells its version; null when none does. */
export function findBun(): BunBinary | null {
  if (found !== undefined) return found;
  found = null;
  const root = nodeModules();
  if (root === null) return found;
  for (const candidate of bunCandidates(process.platform, process.arch, isMusl())) {
    const path = join(root, candidate);
    if (!existsSync(path)) continue;
    try {
      const version = execFileSync(path, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim();
      found = { path, version };
      break;
    } catch {
      // A placeholder left by a skipped postinstall, or a binary for another CPU: try the next.
    }
  }
  return found;
}

/** The one line printed when there is no Bun column. */
export const NO_BUN_NOTE = 'Bun: no runnable binary in node_modules (`npm install` the `bun` dev dependency); the Bun column is left out';
