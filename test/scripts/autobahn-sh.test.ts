/**
 * scripts/autobahn.sh, run as a user runs it, with PATH arranged so that the harness it finds is
 * under the test's control: none (it must say so and exit 2); a docker CLI whose engine does not
 * answer; a fake `wstest` (autobahn-fixtures/fake-wstest.ts, which really exchanges messages with
 * the testee and writes a report in wstest's layout); or a fake `docker` whose engine answers and
 * which runs that fake wstest the way the image would.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseIndex } from '../../scripts/autobahn-index.js';
import { onFreePort, portTaken, unassignedPort } from '../helpers/scripts.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = join(ROOT, 'test/scripts/autobahn-fixtures');
const BASH = '/bin/bash';
const SYSTEM_PATH = '/usr/bin:/bin';
const NO_HARNESS = 'no Docker engine answers and no wstest is on PATH';

interface Tools {
  wstest?: 'path' | 'elsewhere';
  docker?: 'up' | 'down' | 'absent';
  system?: boolean;
}

interface Sandbox {
  dir: string;
  reports: string;
  env: NodeJS.ProcessEnv;
}

/**
 * A directory for one run: `bin` comes first on PATH and holds only what the test puts there
 * (always a `docker` whose engine is down unless asked otherwise, so a real Docker never runs).
 * `system: false` leaves the system directories off PATH entirely.
 */
function sandbox(tools: Tools = {}): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'autobahn-sh-'));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  symlinkSync(BASH, join(bin, 'bash'));
  symlinkSync(process.execPath, join(bin, 'node'));
  const reports = join(dir, 'reports');
  const env: NodeJS.ProcessEnv = {
    HOME: process.env.HOME,
    PATH: tools.system === false ? bin : `${bin}:${SYSTEM_PATH}`,
    AUTOBAHN_REPORTS: reports,
  };
  if (tools.wstest !== undefined) {
    const home = tools.wstest === 'path' ? bin : dir;
    const wrapper = join(home, 'wstest');
    writeFileSync(wrapper, `#!/bin/sh\nexec node --import tsx ${join(FIXTURES, 'fake-wstest.ts')} "$@"\n`);
    chmodSync(wrapper, 0o755);
    env.FAKE_WSTEST_LOG = join(dir, 'wstest.log');
    env.FAKE_WSTEST_LISTENING = join(dir, 'wstest.listening');
  }
  const docker = tools.docker ?? 'down';
  if (docker !== 'absent') {
    symlinkSync(join(FIXTURES, 'fake-docker'), join(bin, 'docker'));
    Object.assign(env, { FAKE_DOCKER_ENGINE: docker, FAKE_DOCKER_LOG: join(dir, 'docker.log'), FAKE_DOCKER_STATE: dir });
  }
  return { dir, reports, env };
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the script in its own process group, so a hung run can be stopped with everything it started. */
function run(box: Sandbox, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(BASH, [join(ROOT, 'scripts/autobahn.sh'), ...args], { cwd: box.dir, env: { ...box.env, ...env }, detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      process.kill(-child.pid!, 'SIGKILL');
      reject(new Error(`autobahn.sh did not finish\n${stdout}\n${stderr}`));
    }, 60_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

const readIfThere = (path: string): string => (existsSync(path) ? readFileSync(path, 'utf8') : '');

/**
 * Runs the script in a fresh sandbox with AUTOBAHN_PORT, which it must be told in advance (the
 * spec names it before anything binds it): an `unassignedPort()`, which no other test's listen(0)
 * or connection can be given first. Should a test that names ports take it anyway, the run is made
 * again on another port. Server mode shows that as the testee's EADDRINUSE (the script prints its
 * log); client mode, whose script waits for anything to listen on the port, as a run that ended
 * while the fake wstest never listened: the testee was driven by the server that took the port.
 */
function runOnPort(tools: Tools, args: string[], env: (box: Sandbox) => NodeJS.ProcessEnv = () => ({})): Promise<{ box: Sandbox; port: number; r: Run }> {
  return onFreePort(async (port) => {
    const box = sandbox(tools);
    const r = await run(box, args, { AUTOBAHN_PORT: String(port), ...env(box) });
    const wstestListened = readIfThere(box.env.FAKE_WSTEST_LISTENING ?? '').includes(`listening on ws://127.0.0.1:${port}`);
    if (portTaken(r.stderr) || (args.includes('client') && !wstestListened)) {
      throw new Error(`EADDRINUSE: port ${port} was taken before the harness bound it:\n${r.stdout}\n${r.stderr}`);
    }
    return { box, port, r };
  }, unassignedPort);
}

/** Nothing listens on `port` any more: whatever the script started there has been stopped. */
function expectNothingListening(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      reject(new Error(`something still listens on port ${port} after the script ended`));
    });
    socket.once('error', () => resolve());
  });
}

const readJson = (path: string): Record<string, unknown> => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
const readLog = (path: string): string => readFileSync(path, 'utf8');

describe('scripts/autobahn.sh without a harness', () => {
  it('says that neither Docker nor wstest is there and exits 2', async () => {
    const r = await run(sandbox({ docker: 'absent', system: false }), ['server']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(NO_HARNESS);
    expect(r.stderr).toContain('WSTEST=');
  });

  it('does not count a docker CLI whose engine does not answer', async () => {
    const box = sandbox({ docker: 'down', system: false });
    const r = await run(box, ['client', '1.*']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(NO_HARNESS);
    expect(readLog(join(box.dir, 'docker.log'))).toBe('info\n');
  });

  it('exits 2 when WSTEST names nothing executable, and 64 on bad usage', async () => {
    const box = sandbox();
    expect(await run(box, ['server'], { WSTEST: join(box.dir, 'nothing') })).toMatchObject({ status: 2, stderr: expect.stringContaining('is not an executable') });
    expect((await run(box, [])).status).toBe(64);
    expect((await run(box, ['server', '--nope'])).status).toBe(64);
    expect((await run(box, ['server', 'client'])).status).toBe(64);
  });
});

describe('scripts/autobahn.sh with a wstest', () => {
  it('tests our echo server with the wstest on PATH, writes the report and exits 0 when all pass', async () => {
    const { box, port, r } = await runOnPort({ wstest: 'path' }, ['server']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('cases: all but 12.* and 13.* (no --compression)');
    expect(r.stdout).toMatch(/^ 1 Framing\s+2\s+2\s+0\s+0\s+0\s+0$/m);
    expect(r.stdout).toContain('Result: PASS (all 8 cases are OK or INFORMATIONAL)');

    const spec = readJson(join(box.reports, 'fuzzingclient.json'));
    expect(spec).toMatchObject({
      servers: [{ agent: 'rfc6455', url: `ws://127.0.0.1:${port}` }],
      cases: ['*'],
      'exclude-cases': ['12.*', '13.*'],
      outdir: join(box.reports, 'servers'),
    });
    expect(readLog(join(box.dir, 'wstest.log'))).toBe(`--mode fuzzingclient --spec ${join(box.reports, 'fuzzingclient.json')}\n`);
    // The fake wstest graded each case by a real echo from scripts/echo-server.ts.
    const [agent] = parseIndex(readFileSync(join(box.reports, 'servers/index.json'), 'utf8'));
    expect(agent!.agent).toBe('rfc6455');
    expect(agent!.cases.map((c) => `${c.id}:${c.behavior}:${c.remoteCloseCode}`)).toEqual(
      ['1.1.1', '1.2.1', '2.1', '5.3', '6.2.1', '7.1.1', '9.1.1', '10.1.1'].map((id) => `${id}:OK:1000`),
    );
    await expectNothingListening(port); // the echo server was stopped
  });

  it('uses the wstest named by WSTEST, runs only the cases asked for, and exits 1 listing what is not OK', async () => {
    const { box, port, r } = await runOnPort({ wstest: 'elsewhere' }, ['server', '1.*,7.1.1'], (fresh) => ({
      WSTEST: join(fresh.dir, 'wstest'),
      FAKE_WSTEST_VERDICTS: '7.1.1=NON-STRICT',
    }));
    expect(r.status).toBe(1);
    expect(readJson(join(box.reports, 'fuzzingclient.json')).cases).toEqual(['1.*', '7.1.1']);
    expect(r.stdout).toMatch(/^ 7 Close Handling\s+1\s+0\s+1\s+0\s+0\s+0$/m);
    expect(r.stdout).toMatch(/^ {2}7\.1\.1 +NON-STRICT +behavior=NON-STRICT close=OK code=1000/m);
    expect(r.stdout).toContain('Result: FAIL (1 of 3 cases are not OK or INFORMATIONAL)');
    await expectNothingListening(port);
  });

  it('tests our echo server with --compression: it negotiates permessage-deflate for 12 and 13', async () => {
    const { box, port, r } = await runOnPort({ wstest: 'path' }, ['--compression', 'server', '1.1.1,12.*,13.*']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readJson(join(box.reports, 'fuzzingclient.json'))['exclude-cases']).toEqual([]);
    const [agent] = parseIndex(readFileSync(join(box.reports, 'servers/index.json'), 'utf8'));
    expect(agent!.cases.map((c) => `${c.id}:${c.behavior}`)).toEqual(['1.1.1:OK', '12.1.1:OK', '13.1.1:OK']);
    expect(r.stdout).toContain('Result: PASS (all 3 cases are OK or INFORMATIONAL)');
    await expectNothingListening(port);
  });

  it('tests our client, scripts/echo-client.ts, with --compression: every case passes, 12 and 13 included', async () => {
    const { box, port, r } = await runOnPort({ wstest: 'path' }, ['--compression', 'client']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Autobahn fuzzingserver');
    expect(r.stdout).toContain('scripts/echo-client.ts --compression');
    expect(r.stdout).toContain('10 cases');
    expect(r.stdout).toContain('reports updated');
    const [agent] = parseIndex(readFileSync(join(box.reports, 'clients/index.json'), 'utf8'));
    expect(agent!.agent).toBe('rfc6455');
    expect(agent!.cases.filter((c) => c.behavior !== 'OK')).toEqual([]);
    expect(agent!.cases.map((c) => c.id)).toContain('13.1.1');
    expect(r.stdout).toContain('Result: PASS (all 10 cases are OK or INFORMATIONAL)');
    await expectNothingListening(port); // wstest's fuzzing server was stopped
  });

  it('passes --compression to another client driver, which fails 12 and 13 as UNIMPLEMENTED when it does not negotiate', async () => {
    const { box, port, r } = await runOnPort({ wstest: 'path' }, ['--compression', 'client'], (fresh) => ({
      AUTOBAHN_CLIENT_TESTEE: join(FIXTURES, 'echo-client-stub.ts'),
      FAKE_CLIENT_LOG: join(fresh.dir, 'client.log'),
    }));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    expect(readLog(join(box.dir, 'client.log'))).toBe(`--url ws://127.0.0.1:${port} --agent rfc6455 --compression\n`);
    expect(readJson(join(box.reports, 'fuzzingserver.json'))).toMatchObject({ url: `ws://127.0.0.1:${port}`, 'exclude-cases': [] });
    expect(r.stdout).toMatch(/^13 Compression \(parameters\)\s+1\s+0\s+0\s+0\s+1\s+0$/m);
    expect(r.stdout).toMatch(/^ {2}12\.1\.1 +UNIMPLEMENTED/m);
    expect(r.stdout).toContain('Result: FAIL (2 of 10 cases are not OK or INFORMATIONAL)');
    await expectNothingListening(port); // wstest's fuzzing server was stopped
  });

  it('exits 2 when the client driver does not exist', async () => {
    const box = sandbox({ wstest: 'path' });
    const r = await run(box, ['client'], { AUTOBAHN_CLIENT_TESTEE: join(box.dir, 'missing.ts') });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('missing.ts does not exist');
  });
});

describe('scripts/autobahn.sh with Docker', () => {
  it('runs the image with host networking and the reports mounted, for both modes', async () => {
    const { box, port: serverPort, r: server } = await runOnPort({ wstest: 'path', docker: 'up' }, ['server', '2.*']);
    expect(server.status).toBe(0);
    await expectNothingListening(serverPort);
    expect(server.stdout).toContain('Autobahn fuzzingclient (Docker image crossbario/autobahn-testsuite)');
    expect(readJson(join(box.reports, 'fuzzingclient.json')).outdir).toBe('/reports/servers');
    expect(readLog(join(box.dir, 'docker.log'))).toBe(
      `info\nrun --rm --network host -v ${box.reports}:/reports crossbario/autobahn-testsuite wstest --mode fuzzingclient --spec /reports/fuzzingclient.json\n`,
    );

    const { box: clientBox, port: clientPort, r: client } = await runOnPort({ wstest: 'path', docker: 'up' }, ['client', '1.*'], () => ({
      AUTOBAHN_IMAGE: 'example/autobahn:1',
      AUTOBAHN_CLIENT_TESTEE: join(FIXTURES, 'echo-client-stub.ts'),
    }));
    expect(client.status).toBe(0);
    expect(client.stdout).toContain('Result: PASS (all 2 cases are OK or INFORMATIONAL)');
    const calls = readLog(join(clientBox.dir, 'docker.log')).split('\n').slice(0, -1);
    expect(calls).toHaveLength(3);
    expect(calls[0]).toBe('info');
    expect(calls[1]).toMatch(
      new RegExp(`^run --rm --network host -v ${clientBox.reports}:/reports --detach --name (rfc6455-autobahn-\\d+) example/autobahn:1 wstest --mode fuzzingserver --spec /reports/fuzzingserver.json$`),
    );
    const name = /--name (\S+)/.exec(calls[1]!)![1];
    expect(calls[2]).toBe(`stop --time 2 ${name}`);
    await expectNothingListening(clientPort); // the "container" was stopped
  });
});
