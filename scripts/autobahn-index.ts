/**
 * Reading an Autobahn testsuite report: the `index.json` that `wstest` writes next to its HTML
 * report. Its layout is `{ agent: { caseId: { behavior, behaviorClose, duration,
 * remoteCloseCode, reportfile } } }`, one entry per agent (testee) and case.
 *
 * Autobahn grades each case twice: `behavior` (what the testee did) and `behaviorClose` (how the
 * connection ended). {@link verdictOf} folds the two into one of the five outcomes of the HTML
 * report, so a case that echoed correctly but closed uncleanly does not pass as OK.
 */

export const VERDICTS = ['OK', 'NON-STRICT', 'INFORMATIONAL', 'UNIMPLEMENTED', 'FAILED'] as const;
export type Verdict = (typeof VERDICTS)[number];

export interface CaseResult {
  id: string;
  behavior: string;
  behaviorClose: string;
  /** Milliseconds the case took. */
  duration: number;
  /** The close code the testee sent; null when it sent none. */
  remoteCloseCode: number | null;
  /** The case's detail report, relative to the index. */
  reportfile: string;
}

export interface AgentReport {
  agent: string;
  /** Sorted by case id, numerically (1.1.2 before 1.1.10). */
  cases: CaseResult[];
}

/** Autobahn's category names, by the first number of the case id. */
export const CATEGORY_NAMES: Readonly<Record<string, string>> = {
  '1': 'Framing',
  '2': 'Pings/Pongs',
  '3': 'Reserved Bits',
  '4': 'Opcodes',
  '5': 'Fragmentation',
  '6': 'UTF-8 Handling',
  '7': 'Close Handling',
  '9': 'Limits/Performance',
  '10': 'Auto-Fragmentation',
  '12': 'Compression (payloads)',
  '13': 'Compression (parameters)',
};

export class ReportFormatError extends Error {
  override name = 'ReportFormatError';
}

/** Parses the text of an `index.json`; throws `ReportFormatError` when it is not one. */
export function parseIndex(text: string): AgentReport[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ReportFormatError(`not JSON: ${(err as Error).message}`);
  }
  if (!isRecord(json)) throw new ReportFormatError('expected an object of agents');
  const agents = Object.entries(json).map(([agent, cases]) => {
    if (!isRecord(cases)) throw new ReportFormatError(`agent ${agent}: expected an object of cases`);
    const results = Object.entries(cases).map(([id, entry]) => parseCase(agent, id, entry));
    results.sort((a, b) => compareCaseIds(a.id, b.id));
    return { agent, cases: results };
  });
  agents.sort((a, b) => (a.agent < b.agent ? -1 : a.agent > b.agent ? 1 : 0));
  return agents;
}

function parseCase(agent: string, id: string, entry: unknown): CaseResult {
  const where = `agent ${agent}, case ${id}`;
  if (!/^\d+(\.\d+)*$/.test(id)) throw new ReportFormatError(`${where}: not a case id`);
  if (!isRecord(entry)) throw new ReportFormatError(`${where}: expected an object`);
  const { behavior, behaviorClose, duration, remoteCloseCode, reportfile } = entry;
  if (typeof behavior !== 'string') throw new ReportFormatError(`${where}: behavior is missing`);
  if (typeof behaviorClose !== 'string') throw new ReportFormatError(`${where}: behaviorClose is missing`);
  if (remoteCloseCode !== null && remoteCloseCode !== undefined && typeof remoteCloseCode !== 'number') {
    throw new ReportFormatError(`${where}: remoteCloseCode is not a number`);
  }
  return {
    id,
    behavior,
    behaviorClose,
    duration: typeof duration === 'number' ? duration : 0,
    remoteCloseCode: remoteCloseCode ?? null,
    reportfile: typeof reportfile === 'string' ? reportfile : '',
  };
}

/**
 * One outcome for a case. Informational and unimplemented cases are what `behavior` says. A case
 * that behaved OK or NON-STRICT keeps that only if it also closed well: a wrong close code, or a
 * TCP close by the client when the server should have closed, makes it NON-STRICT (Autobahn
 * colours those as such); an unclean or failed close makes it FAILED. Anything else is FAILED.
 */
export function verdictOf(result: Pick<CaseResult, 'behavior' | 'behaviorClose'>): Verdict {
  const { behavior, behaviorClose } = result;
  if (behavior === 'UNIMPLEMENTED' || behavior === 'INFORMATIONAL') return behavior;
  // NO_CLOSE is a legacy grade that Autobahn shows in the non-strict colour.
  if (behavior === 'NO_CLOSE') return 'NON-STRICT';
  if (behavior !== 'OK' && behavior !== 'NON-STRICT') return 'FAILED';
  if (behaviorClose === 'OK' || behaviorClose === 'INFORMATIONAL') return behavior;
  if (behaviorClose === 'WRONG CODE' || behaviorClose === 'FAILED BY CLIENT') return 'NON-STRICT';
  return 'FAILED';
}

/** Only OK and INFORMATIONAL pass: a non-strict case is a SHOULD we do not meet. */
export function isPassing(verdict: Verdict): boolean {
  return verdict === 'OK' || verdict === 'INFORMATIONAL';
}

export type Counts = Record<Verdict, number> & { cases: number };

export interface CategoryRow extends Readonly<Counts> {
  category: string;
  name: string;
}

export interface Summary {
  agent: string;
  rows: CategoryRow[];
  total: Counts;
  /** The cases that do not pass, in case order. */
  problems: Array<CaseResult & { verdict: Verdict }>;
  passed: boolean;
}

export function summarize(report: AgentReport): Summary {
  const rows = new Map<string, CategoryRow & Counts>();
  const total = emptyCounts();
  const problems: Summary['problems'] = [];
  for (const result of report.cases) {
    const category = result.id.split('.')[0]!;
    let row = rows.get(category);
    if (row === undefined) {
      row = { category, name: CATEGORY_NAMES[category] ?? 'Other', ...emptyCounts() };
      rows.set(category, row);
    }
    const verdict = verdictOf(result);
    row[verdict]++;
    row.cases++;
    total[verdict]++;
    total.cases++;
    if (!isPassing(verdict)) problems.push({ ...result, verdict });
  }
  const sorted = [...rows.values()].sort((a, b) => Number(a.category) - Number(b.category));
  return { agent: report.agent, rows: sorted, total, problems, passed: total.cases > 0 && problems.length === 0 };
}

/** The per-category table, the cases that do not pass, and a one-line result. */
export function formatSummary(summary: Summary): string {
  const header = ['Category', 'Cases', ...VERDICTS];
  const line = (label: string, counts: Counts): string[] => [label, String(counts.cases), ...VERDICTS.map((v) => String(counts[v]))];
  const table = [header, ...summary.rows.map((r) => line(`${r.category.padStart(2)} ${r.name}`, r)), line('Total', summary.total)];
  const widths = header.map((_, i) => Math.max(...table.map((cells) => cells[i]!.length)));
  const render = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [`Agent ${summary.agent}`, '', render(header), ...table.slice(1, -1).map(render), '-'.repeat(widths.reduce((a, b) => a + b + 2, -2)), render(table.at(-1)!)];
  if (summary.problems.length > 0) {
    out.push('', 'Cases that are not OK or INFORMATIONAL:');
    for (const p of summary.problems) {
      const code = p.remoteCloseCode === null ? 'none' : String(p.remoteCloseCode);
      out.push(`  ${p.id.padEnd(8)} ${p.verdict.padEnd(13)} behavior=${p.behavior} close=${p.behaviorClose} code=${code}  ${p.reportfile}`);
    }
  }
  out.push('');
  if (summary.total.cases === 0) out.push('Result: FAIL (the report has no cases)');
  else if (summary.passed) out.push(`Result: PASS (all ${summary.total.cases} cases are OK or INFORMATIONAL)`);
  else out.push(`Result: FAIL (${summary.problems.length} of ${summary.total.cases} cases are not OK or INFORMATIONAL)`);
  return out.join('\n');
}

/** Orders case ids by their numbers: 1.1.2 < 1.1.10 < 1.2.1 < 10.1.1. */
export function compareCaseIds(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? -1) - (pb[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

function emptyCounts(): Counts {
  return { cases: 0, OK: 0, 'NON-STRICT': 0, INFORMATIONAL: 0, UNIMPLEMENTED: 0, FAILED: 0 };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
