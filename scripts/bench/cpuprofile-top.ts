/**
 * Where a process spent its time, from a V8 `.cpuprofile` (`node --cpu-prof`): the top functions
 * by self time and the same time grouped by source file. Compiled lines are mapped back to the
 * TypeScript sources through the build's source maps when they are there.
 *
 *   node node_modules/.cache/rfc6455-bench/scripts/bench/cpuprofile-top.js FILE.cpuprofile [--top 25]
 */
import { existsSync, readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { SourceMapIndex } from './source-map.js';

/** The parts of the `.cpuprofile` format (Chrome DevTools Protocol `Profiler.Profile`) used here. */
export interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  }>;
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionTime {
  name: string;
  location: string;
  file: string;
  selfMs: number;
}

export interface ProfileSummary {
  /** Sampled time when the process was not idle. */
  busyMs: number;
  idleMs: number;
  functions: FunctionTime[];
  files: Array<{ file: string; selfMs: number }>;
}

/** Pseudo-frames V8 reports for time outside JavaScript functions. */
const IDLE = '(idle)';

export function summarizeProfile(profile: CpuProfile, root: string, maps = new SourceMapIndex()): ProfileSummary {
  const selfByNode = new Map<number, number>();
  // timeDeltas[i] is the time since the previous sample; it is charged to sample i.
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    selfByNode.set(id, (selfByNode.get(id) ?? 0) + Math.max(0, profile.timeDeltas[i] ?? 0));
  }
  const byFunction = new Map<string, FunctionTime>();
  let idleUs = 0;
  let busyUs = 0;
  for (const node of profile.nodes) {
    const us = selfByNode.get(node.id) ?? 0;
    if (us === 0) continue;
    const frame = node.callFrame;
    if (frame.functionName === IDLE) {
      idleUs += us;
      continue;
    }
    busyUs += us;
    const { file, location } = locate(frame, root, maps);
    const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
    const key = `${name}\u0000${location}`;
    const entry = byFunction.get(key) ?? { name, location, file, selfMs: 0 };
    entry.selfMs += us / 1000;
    byFunction.set(key, entry);
  }
  const functions = [...byFunction.values()].sort((a, b) => b.selfMs - a.selfMs);
  const fileTotals = new Map<string, number>();
  for (const f of functions) fileTotals.set(f.file, (fileTotals.get(f.file) ?? 0) + f.selfMs);
  const files = [...fileTotals.entries()].map(([file, selfMs]) => ({ file, selfMs })).sort((a, b) => b.selfMs - a.selfMs);
  return { busyMs: busyUs / 1000, idleMs: idleUs / 1000, functions, files };
}

/** A frame's file (relative to the repository, or `node:...`) and `file:line` of the function. */
function locate(frame: CpuProfile['nodes'][number]['callFrame'], root: string, maps: SourceMapIndex): { file: string; location: string } {
  const url = frame.url;
  if (url === '') return { file: frame.functionName.startsWith('(') ? frame.functionName : '(native)', location: '' };
  if (!url.startsWith('file:') && !url.startsWith('/')) return { file: url, location: `${url}:${frame.lineNumber + 1}` };
  const path = url.startsWith('file:') ? fileURLToPath(url) : url;
  const original = maps.originalPosition(path, frame.lineNumber, frame.columnNumber);
  if (original !== null) {
    const file = relative(root, original.source);
    return { file, location: `${file}:${original.line + 1}` };
  }
  const file = relative(root, path);
  return { file, location: `${file}:${frame.lineNumber + 1}` };
}

export function renderSummary(title: string, summary: ProfileSummary, top: number): string {
  const pct = (ms: number): string => `${((ms / summary.busyMs) * 100).toFixed(1)}%`;
  const lines = [
    `#### ${title}`,
    '',
    `Busy ${(summary.busyMs / 1000).toFixed(2)} s, idle ${(summary.idleMs / 1000).toFixed(2)} s. Shares are of busy time.`,
    '',
    '| self | ms | function | where |',
    '| ---: | ---: | --- | --- |',
  ];
  for (const f of summary.functions.slice(0, top)) {
    lines.push(`| ${pct(f.selfMs)} | ${f.selfMs.toFixed(0)} | \`${f.name}\` | ${f.location} |`);
  }
  lines.push('', '| self | by file |', '| ---: | --- |');
  for (const f of summary.files.slice(0, Math.min(12, top))) lines.push(`| ${pct(f.selfMs)} | ${f.file} |`);
  return lines.join('\n');
}

export function summarizeFile(path: string, root: string, top: number): string {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  return renderSummary(relative(root, path), summarizeProfile(profile, root), top);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
  if (positionals.length === 0) {
    console.error('usage: cpuprofile-top FILE.cpuprofile... [--top N]');
    process.exit(2);
  }
  for (const file of positionals) {
    if (!existsSync(file)) throw new Error(`no such file: ${file}`);
    console.log(summarizeFile(resolve(file), process.cwd(), Number(values.top)), '\n');
  }
}
