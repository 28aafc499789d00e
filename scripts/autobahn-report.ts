/**
 * Prints an Autobahn report as a table by category and says whether it passes: every case OK or
 * INFORMATIONAL. Exit status 0 when it passes, 1 otherwise (or when the report cannot be read).
 *
 *   npx tsx scripts/autobahn-report.ts autobahn/reports/servers/index.json [--agent rfc6455]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatSummary, parseIndex, summarize } from './autobahn-index.js';

const { values, positionals } = parseArgs({
  options: { agent: { type: 'string' } },
  allowPositionals: true,
});

if (positionals.length !== 1) {
  console.error('usage: autobahn-report.ts <index.json> [--agent NAME]');
  process.exit(1);
}
const path = positionals[0]!;

let text: string;
try {
  text = readFileSync(path, 'utf8');
} catch (err) {
  console.error(`cannot read the report ${path}: ${(err as Error).message}`);
  process.exit(1);
}

let agents;
try {
  agents = parseIndex(text);
} catch (err) {
  console.error(`${path} is not an Autobahn index.json: ${(err as Error).message}`);
  process.exit(1);
}

if (values.agent !== undefined) agents = agents.filter((a) => a.agent === values.agent);
if (agents.length === 0) {
  console.error(`${path} has no results${values.agent === undefined ? '' : ` for agent ${values.agent}`}`);
  process.exit(1);
}

let passed = true;
console.log(`Autobahn report: ${path}`);
for (const agent of agents) {
  const summary = summarize(agent);
  console.log('');
  console.log(formatSummary(summary));
  passed &&= summary.passed;
}
process.exit(passed ? 0 : 1);
