/**
 * Chaos against a running WebSocket server: 200 connections (by default) that drop TCP
 * mid-handshake or mid-message, send garbage, stop reading while the server writes, or close
 * with odd and invalid codes. Prints what happened per mode and exits 1 if the server answered
 * any of them other than as RFC 6455 says, or stopped answering.
 *
 *   npx tsx scripts/chaos.ts ws://127.0.0.1:8080/ws [--connections 200] [--concurrency 50]
 *       [--greeting '{"type":"join","name":"chaos"}']
 *
 * test/examples/chaos.test.ts runs it against every README server example and examples/, in
 * child processes, and checks that they stay up, print nothing, and give back their heap.
 */
import { parseArgs } from 'node:util';
import { runChaos } from './chaos/client.js';
import { formatChaosReport } from './chaos/report.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    connections: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '50' },
    greeting: { type: 'string', multiple: true },
  },
});
const url = positionals[0];
if (url === undefined) {
  console.error('usage: npx tsx scripts/chaos.ts ws://host:port/path [--connections N] [--concurrency N] [--greeting TEXT]');
  process.exit(2);
}
const report = await runChaos({
  url,
  connections: Number(values.connections),
  concurrency: Number(values.concurrency),
  greeting: values.greeting ?? [],
});
console.log(formatChaosReport(report));
process.exitCode = report.failures.length === 0 ? 0 : 1;
