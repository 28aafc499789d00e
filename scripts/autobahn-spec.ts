/**
 * Writes the spec `wstest` runs with: one of the committed configs in `autobahn/`, narrowed to the
 * cases asked for, pointed at the port asked for, and without the permessage-deflate categories
 * (12, 13) unless compression is on (a testee that does not negotiate it would fail them all).
 *
 *   npx tsx scripts/autobahn-spec.ts server|client --out FILE [--port 9001] [--cases '1.*,2.1']
 *     [--outdir DIR] [--compression]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  options: {
    out: { type: 'string' },
    port: { type: 'string', default: '9001' },
    cases: { type: 'string', default: '' },
    outdir: { type: 'string' },
    compression: { type: 'boolean', default: false },
  },
  allowPositionals: true,
});

const mode = positionals[0];
if ((mode !== 'server' && mode !== 'client') || values.out === undefined) {
  console.error('usage: autobahn-spec.ts server|client --out FILE [--port N] [--cases LIST] [--outdir DIR] [--compression]');
  process.exit(1);
}
const port = Number(values.port);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`not a port: ${values.port}`);
  process.exit(1);
}

// `server` tests our server, so wstest is the fuzzing client, and the other way round.
const base = new URL(`../autobahn/${mode === 'server' ? 'fuzzingclient' : 'fuzzingserver'}.json`, import.meta.url);
const spec = JSON.parse(readFileSync(base, 'utf8')) as Record<string, unknown>;

const withPort = (url: unknown): string => {
  const u = new URL(String(url));
  u.port = String(port);
  return u.href.replace(/\/$/, '');
};
if (mode === 'server') {
  const servers = spec.servers as Array<Record<string, unknown>>;
  spec.servers = servers.map((s) => ({ ...s, url: withPort(s.url) }));
} else {
  spec.url = withPort(spec.url);
}

const cases = values.cases
  .split(',')
  .map((c) => c.trim())
  .filter((c) => c !== '');
if (cases.length > 0) spec.cases = cases;
// Where wstest writes the report, as wstest sees the path (inside the container, with Docker).
if (values.outdir !== undefined) spec.outdir = values.outdir;
if (!values.compression) {
  const excluded = new Set([...(spec['exclude-cases'] as string[]), '12.*', '13.*']);
  spec['exclude-cases'] = [...excluded];
}

writeFileSync(values.out, JSON.stringify(spec, null, 3) + '\n');
