/**
 * The Autobahn report parser (scripts/autobahn-index.ts) and its command line
 * (scripts/autobahn-report.ts), on a sample `index.json` in the layout wstest writes: agents,
 * then case ids, each with behavior, behaviorClose, duration, remoteCloseCode and reportfile
 * (keys sorted, three-space indent).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReportFormatError, compareCaseIds, formatSummary, parseIndex, summarize, verdictOf } from '../../scripts/autobahn-index.js';

const SAMPLE = readFileSync(new URL('./autobahn-fixtures/sample-index.json', import.meta.url), 'utf8');

function runReport(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/autobahn-report.ts', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('parseIndex', () => {
  it('reads every agent and case, with case ids in numeric order', () => {
    const agents = parseIndex(SAMPLE);
    expect(agents.map((a) => a.agent)).toEqual(['Other Agent/1.0', 'rfc6455']);
    const ours = agents[1]!;
    expect(ours.cases).toHaveLength(27);
    const ids = ours.cases.map((c) => c.id);
    // JSON order is lexicographic (10.1.1 before 2.5); ours is numeric.
    expect(ids.slice(0, 6)).toEqual(['1.1.1', '1.1.8', '1.2.8', '2.5', '2.10', '2.11']);
    expect(ids.at(-4)).toBe('10.1.1');
    expect(ours.cases.find((c) => c.id === '9.1.6')).toEqual({
      id: '9.1.6',
      behavior: 'OK',
      behaviorClose: 'OK',
      duration: 1830,
      remoteCloseCode: 1000,
      reportfile: 'rfc6455_case_9_1_6.json',
    });
    expect(ours.cases.find((c) => c.id === '2.11')!.remoteCloseCode).toBeNull();
  });

  it.each([
    ['not JSON', '{"rfc6455": '],
    ['an array', '[]'],
    ['an agent that is not an object', '{"a": 1}'],
    ['a key that is not a case id', '{"a": {"x.1": {"behavior": "OK", "behaviorClose": "OK"}}}'],
    ['a case without behavior', '{"a": {"1.1.1": {"behaviorClose": "OK"}}}'],
    ['a case without behaviorClose', '{"a": {"1.1.1": {"behavior": "OK"}}}'],
    ['a close code that is not a number', '{"a": {"1.1.1": {"behavior": "OK", "behaviorClose": "OK", "remoteCloseCode": "1000"}}}'],
  ])('refuses %s with a ReportFormatError', (_name, text) => {
    expect(() => parseIndex(text)).toThrow(ReportFormatError);
  });
});

describe('verdictOf', () => {
  it.each([
    ['OK', 'OK', 'OK'],
    ['NON-STRICT', 'OK', 'NON-STRICT'],
    ['INFORMATIONAL', 'INFORMATIONAL', 'INFORMATIONAL'],
    ['UNIMPLEMENTED', 'OK', 'UNIMPLEMENTED'],
    ['FAILED', 'OK', 'FAILED'],
    ['OK', 'WRONG CODE', 'NON-STRICT'],
    ['OK', 'FAILED BY CLIENT', 'NON-STRICT'],
    ['OK', 'UNCLEAN', 'FAILED'],
    ['OK', 'FAILED', 'FAILED'],
    ['NON-STRICT', 'UNCLEAN', 'FAILED'],
    ['NO_CLOSE', 'OK', 'NON-STRICT'],
    ['WRONG CODE', 'OK', 'FAILED'],
    ['SOMETHING NEW', 'OK', 'FAILED'],
  ])('behavior %s with close %s is %s', (behavior, behaviorClose, verdict) => {
    expect(verdictOf({ behavior, behaviorClose })).toBe(verdict);
  });
});

describe('summarize', () => {
  it('counts each category by verdict and lists what does not pass', () => {
    const summary = summarize(parseIndex(SAMPLE)[1]!);
    const row = (category: string) => summary.rows.find((r) => r.category === category);
    expect(summary.rows.map((r) => r.category)).toEqual(['1', '2', '3', '4', '5', '6', '7', '9', '10', '12', '13']);
    expect(row('2')).toMatchObject({ name: 'Pings/Pongs', cases: 3, OK: 2, FAILED: 1 });
    expect(row('5')).toMatchObject({ cases: 3, OK: 2, 'NON-STRICT': 1 });
    expect(row('7')).toMatchObject({ name: 'Close Handling', cases: 5, OK: 3, INFORMATIONAL: 2 });
    expect(row('12')).toMatchObject({ cases: 2, UNIMPLEMENTED: 2 });
    expect(summary.total).toEqual({ cases: 27, OK: 17, 'NON-STRICT': 3, INFORMATIONAL: 2, UNIMPLEMENTED: 3, FAILED: 2 });
    expect(summary.problems.map((p) => `${p.id} ${p.verdict}`)).toEqual([
      '2.11 FAILED',
      '3.2 NON-STRICT',
      '4.1.3 NON-STRICT',
      '5.9 NON-STRICT',
      '6.3.1 FAILED',
      '12.1.1 UNIMPLEMENTED',
      '12.5.18 UNIMPLEMENTED',
      '13.7.18 UNIMPLEMENTED',
    ]);
    expect(summary.passed).toBe(false);
  });

  it('passes a report whose cases are all OK or INFORMATIONAL, and fails an empty one', () => {
    const clean = parseIndex(SAMPLE)[1]!;
    clean.cases = clean.cases.filter((c) => ['OK', 'INFORMATIONAL'].includes(verdictOf(c)));
    expect(summarize(clean).passed).toBe(true);
    expect(summarize({ agent: 'x', cases: [] }).passed).toBe(false);
  });

  it('formats a table with a row per category, a total, the problems and the result', () => {
    const text = formatSummary(summarize(parseIndex(SAMPLE)[1]!));
    const lines = text.split('\n');
    expect(lines[0]).toBe('Agent rfc6455');
    expect(lines[2]).toMatch(/^Category\s+Cases\s+OK\s+NON-STRICT\s+INFORMATIONAL\s+UNIMPLEMENTED\s+FAILED$/);
    expect(text).toMatch(/^ 2 Pings\/Pongs\s+3\s+2\s+0\s+0\s+0\s+1$/m);
    expect(text).toMatch(/^13 Compression \(parameters\)\s+1\s+0\s+0\s+0\s+1\s+0$/m);
    expect(text).toMatch(/^Total\s+27\s+17\s+3\s+2\s+3\s+2$/m);
    expect(text).toMatch(/^ {2}3\.2 +NON-STRICT +behavior=NON-STRICT close=OK code=1002 +rfc6455_case_3_2\.json$/m);
    expect(text).toMatch(/^ {2}2\.11 +FAILED +behavior=OK close=UNCLEAN code=none/m);
    expect(lines.at(-1)).toBe('Result: FAIL (8 of 27 cases are not OK or INFORMATIONAL)');
  });
});

describe('compareCaseIds', () => {
  it('orders by number, part by part', () => {
    const ids = ['10.1.1', '2.10', '1.1.10', '2.2', '1.1.2', '12.1.1', '9.1.1', '1.2.1'];
    expect(ids.sort(compareCaseIds)).toEqual(['1.1.2', '1.1.10', '1.2.1', '2.2', '2.10', '9.1.1', '10.1.1', '12.1.1']);
  });
});

describe('scripts/autobahn-report.ts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'autobahn-report-'));

  it('prints the table of every agent and exits 1 when a case does not pass', () => {
    const path = join(dir, 'index.json');
    writeFileSync(path, SAMPLE);
    const r = runReport(path);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('Agent Other Agent/1.0');
    expect(r.stdout).toContain('Agent rfc6455');
    expect(r.stdout).toContain('Result: FAIL (8 of 27 cases are not OK or INFORMATIONAL)');
  });

  it('exits 0 when every case of the chosen agent is OK or INFORMATIONAL', () => {
    const path = join(dir, 'passing.json');
    const index = JSON.parse(SAMPLE) as Record<string, Record<string, { behavior: string; behaviorClose: string }>>;
    const ours = index.rfc6455!;
    for (const id of Object.keys(ours)) if (!['OK', 'INFORMATIONAL'].includes(verdictOf(ours[id]!))) delete ours[id];
    writeFileSync(path, JSON.stringify(index, null, 3));
    const r = runReport(path, '--agent', 'rfc6455');
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain('Other Agent');
    expect(r.stdout).toContain('Result: PASS (all 19 cases are OK or INFORMATIONAL)');
  });

  it('exits 1 with a message for a missing file, a file that is not a report, or an unknown agent', () => {
    expect(runReport(join(dir, 'nowhere.json'))).toMatchObject({ status: 1, stderr: expect.stringContaining('cannot read the report') });
    const junk = join(dir, 'junk.json');
    writeFileSync(junk, '<html>');
    expect(runReport(junk)).toMatchObject({ status: 1, stderr: expect.stringContaining('is not an Autobahn index.json') });
    const path = join(dir, 'index.json');
    writeFileSync(path, SAMPLE);
    expect(runReport(path, '--agent', 'nobody')).toMatchObject({ status: 1, stderr: expect.stringContaining('no results for agent nobody') });
  });
});
