/** A chaos run's report, as lines for people. */
import type { ChaosReport } from './client.js';

/** The report as lines for people. */
export function formatChaosReport(report: ChaosReport): string {
  const lines = [`${report.connections} connections, ${report.abruptDrops} dropped abruptly`];
  for (const [mode, { ran, answered }] of Object.entries(report.modes)) lines.push(`  ${mode.padEnd(18)} ${answered}/${ran} as expected`);
  for (const failure of report.failures) lines.push(`  FAILED ${failure}`);
  return lines.join('\n');
}
