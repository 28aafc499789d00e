/**
 * A stand-in for Autobahn's `wstest`, for testing scripts/autobahn.sh where the real one cannot
 * run. It takes the same flags (`--mode fuzzingclient|fuzzingserver --spec FILE`), honours the
 * spec's url, cases, exclude-cases and outdir, really exchanges messages with the testee for each
 * of a handful of case ids, and writes `index.json` in the layout the real wstest uses. As the
 * real one, it offers (or accepts) permessage-deflate for the 12.x and 13.x cases and grades them
 * UNIMPLEMENTED when the testee does not negotiate it.
 *
 * FAKE_WSTEST_VERDICTS='2.1=NON-STRICT,7.1.1=FAILED' overrides the behavior of some cases;
 * FAKE_WSTEST_LOG=FILE records the command line; FAKE_CONTAINER_REPORTS=DIR is the host directory
 * that the fake docker mounts as /reports, where paths in a container would point;
 * FAKE_WSTEST_LISTENING=FILE gets a line once the fuzzing server listens (a test can tell from its
 * absence that the testee was driven by some other server, which had taken the port first).
 */
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket, { WebSocketServer } from 'ws';

const CATALOGUE = ['1.1.1', '1.2.1', '2.1', '5.3', '6.2.1', '7.1.1', '9.1.1', '10.1.1', '12.1.1', '13.1.1'];

interface Result {
  behavior: string;
  behaviorClose: string;
  duration: number;
  remoteCloseCode: number | null;
  reportfile: string;
}

const { values } = parseArgs({
  options: { mode: { type: 'string', short: 'm' }, spec: { type: 'string', short: 's' } },
});
if (process.env.FAKE_WSTEST_LOG) appendFileSync(process.env.FAKE_WSTEST_LOG, `${process.argv.slice(2).join(' ')}\n`);
const inContainer = (path: string): string => {
  const mounted = process.env.FAKE_CONTAINER_REPORTS;
  return mounted && path.startsWith('/reports/') ? join(mounted, path.slice('/reports/'.length)) : path;
};
const spec = JSON.parse(readFileSync(inContainer(values.spec!), 'utf8')) as {
  url?: string;
  outdir: string;
  servers?: Array<{ agent: string; url: string }>;
  cases: string[];
  'exclude-cases': string[];
};

const matches = (id: string, patterns: string[]): boolean =>
  patterns.some((p) => new RegExp(`^${p.replace(/\./g, '\\.').replace(/\*/g, '.*')}$`).test(id));
const cases = CATALOGUE.filter((id) => matches(id, spec.cases) && !matches(id, spec['exclude-cases']));
const overrides = new Map(
  (process.env.FAKE_WSTEST_VERDICTS ?? '')
    .split(',')
    .filter((s) => s.includes('='))
    .map((s) => s.split('=') as [string, string]),
);
const results = new Map<string, Map<string, Result>>();

/** Categories 12 and 13 need permessage-deflate. */
const needsDeflate = (id: string): boolean => /^1[23]\./.test(id);

/** Sends a text and a binary message, expects both back with their types, then closes with 1000. */
async function exchange(ws: WebSocket, id: string): Promise<Result> {
  if (needsDeflate(id) && !ws.extensions.includes('permessage-deflate')) {
    ws.close(1000);
    return { behavior: 'UNIMPLEMENTED', behaviorClose: 'OK', duration: 0, remoteCloseCode: 1000, reportfile: '' };
  }
  const started = Date.now();
  const sent: Array<[string, boolean]> = [
    [`case ${id}`, false],
    [`binary ${id}`, true],
  ];
  const echoed: Array<[string, boolean]> = [];
  const closed = new Promise<number | null>((resolve) => {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      echoed.push([data.toString(), isBinary]);
      if (echoed.length === sent.length) ws.close(1000);
    });
    ws.on('close', (code: number) => resolve(code === 1005 ? null : code));
    ws.on('error', () => resolve(null));
  });
  for (const [text, binary] of sent) ws.send(binary ? Buffer.from(text) : text);
  const remoteCloseCode = await closed;
  const ok = JSON.stringify(echoed) === JSON.stringify(sent);
  return {
    behavior: ok ? 'OK' : 'FAILED',
    behaviorClose: remoteCloseCode === 1000 ? 'OK' : 'FAILED',
    duration: Date.now() - started,
    remoteCloseCode,
    reportfile: '',
  };
}

function record(agent: string, id: string, result: Result): void {
  const file = `${agent.toLowerCase().replace(/[^a-z0-9]+/g, '_')}_case_${id.replace(/\./g, '_')}.json`;
  const behavior = overrides.get(id) ?? result.behavior;
  let byCase = results.get(agent);
  if (byCase === undefined) results.set(agent, (byCase = new Map()));
  byCase.set(id, { ...result, behavior, reportfile: file });
}

function writeReports(): void {
  const outdir = inContainer(spec.outdir);
  mkdirSync(outdir, { recursive: true });
  const index: Record<string, Record<string, Result>> = {};
  for (const [agent, byCase] of results) {
    index[agent] = Object.fromEntries([...byCase].sort(([a], [b]) => (a < b ? -1 : 1)));
    for (const [id, result] of byCase) writeFileSync(join(outdir, result.reportfile), JSON.stringify({ id, agent, ...result }, null, 3));
  }
  writeFileSync(join(outdir, 'index.json'), JSON.stringify(index, null, 3));
  writeFileSync(join(outdir, 'index.html'), '<!DOCTYPE html><title>fake report</title>\n');
}

if (values.mode === 'fuzzingclient') {
  for (const server of spec.servers ?? []) {
    for (const id of cases) {
      const ws = new WebSocket(`${server.url}/runCase?case=${id}&agent=${server.agent}`, { perMessageDeflate: needsDeflate(id) ? { threshold: 0 } : false });
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      record(server.agent, id, await exchange(ws, id));
    }
  }
  writeReports();
} else if (values.mode === 'fuzzingserver') {
  const url = new URL(spec.url!);
  const http = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: { threshold: 0 } });
  wss.on('connection', (ws, req) => {
    const { pathname, searchParams } = new URL(req.url ?? '/', 'http://x');
    const agent = searchParams.get('agent') ?? 'unknown';
    if (pathname === '/getCaseCount') {
      ws.send(String(cases.length));
      ws.close(1000);
    } else if (pathname === '/runCase') {
      const id = cases[Number(searchParams.get('case')) - 1];
      if (id === undefined) return ws.close(1008);
      void exchange(ws, id).then((result) => record(agent, id, result));
    } else if (pathname === '/updateReports') {
      writeReports();
      ws.close(1000);
    } else {
      ws.close(1008);
    }
  });
  http.listen(Number(url.port), url.hostname, () => {
    if (process.env.FAKE_WSTEST_LISTENING) appendFileSync(process.env.FAKE_WSTEST_LISTENING, `listening on ${spec.url}\n`);
  });
  process.on('SIGTERM', () => process.exit(0));
} else {
  console.error(`fake wstest: unknown mode ${values.mode}`);
  process.exit(1);
}
