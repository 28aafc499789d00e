/**
 * Every server example (the README's and examples/) survives a chaos client: 200 connections that
 * drop TCP mid-handshake or mid-message, send garbage, stop reading while the server writes, or
 * close with odd and invalid codes. Each server runs as users run it, in its own process: it must
 * answer every misbehaviour as the RFC says, stay up, print nothing, and give its heap back.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ChaosOptions, runChaos } from '../../scripts/chaos/client.js';
import { formatChaosReport } from '../../scripts/chaos/report.js';
import { writeExamples } from '../../scripts/readme-examples.js';
import { startServerProcess } from '../helpers/server-process.js';

const root = join(import.meta.dirname, '../..');
const MiB = 1024 * 1024;

interface Target {
  name: string;
  file: string;
  /** Matches the line it prints once listening; `url` turns the match into the ws:// URL. */
  ready: RegExp;
  url: (match: RegExpMatchArray) => string;
  chaos?: Partial<ChaosOptions>;
}

// Written apart from test/docs/readme-examples.test.ts's copy, which may run at the same time.
const readmeServers: Target[] = writeExamples(join(root, 'node_modules', '.cache', 'rfc6455-readme-chaos'))
  .filter((e) => e.kind === 'server')
  .map((e) => ({ name: `README line ${e.line}`, file: e.file, ready: /listening on (ws:\/\/\S+)/, url: (m) => m[1]! }));

const targets: Target[] = [
  ...readmeServers,
  {
    name: 'examples/echo',
    file: join(root, 'examples/echo/server.ts'),
    ready: /echo demo: open http:\/\/(\S+?)\//,
    url: (m) => `ws://${m[1]}/ws`,
  },
  {
    name: 'examples/chat',
    file: join(root, 'examples/chat/server.ts'),
    ready: /chat demo: open http:\/\/(\S+?)\//,
    url: (m) => `ws://${m[1]}/ws`,
    chaos: {
      greeting: ['{"type":"join","name":"chaos"}'],
      message: (size) => JSON.stringify({ type: 'say', text: 'x'.repeat(Math.min(size, 1900)) }),
    },
  },
];

describe('chaos against every server example', () => {
  it.each(targets.map((t) => [t.name, t] as const))('%s stays up, quiet, and gives its heap back', async (_name, target) => {
    const server = await startServerProcess(target.file, target.ready, { heap: true });
    const url = target.url(server.ready);
    // A first round warms up the code paths (compiled code and caches are heap too).
    const warmUp = await runChaos({ url, connections: 35, ...target.chaos });
    expect(warmUp.failures).toEqual([]);
    const before = await server.heapUsed();

    const report = await runChaos({ url, connections: 200, ...target.chaos });
    expect(report.failures, formatChaosReport(report)).toEqual([]);
    expect(report.abruptDrops).toBeGreaterThanOrEqual(80);

    // The server may still be finishing closes it started; its heap settles once they are done.
    let after = await server.heapUsed();
    for (let probe = 0; probe < 20 && after > before + 2 * MiB; probe++) after = await server.heapUsed();
    console.info(
      `chaos ${target.name}: ${report.connections} connections, ${report.abruptDrops} abrupt drops; ` +
        `heap after a forced GC ${(before / MiB).toFixed(2)} MiB before, ${(after / MiB).toFixed(2)} MiB after`,
    );
    expect(after).toBeLessThan(before + 2 * MiB);
    expect(server.laterOutput()).toBe('');
    expect(server.exited()).toBe(false);
    await server.stop();
  }, 60_000);
});
