/**
 * `npm run bench -- --profile`: our servers under `node --cpu-prof` for the scenarios the
 * optimisation work starts from (pipelined 32 B, 1 KiB and 64 KiB echo, 256 connections,
 * broadcast, and connection churn), each followed by a summary of where the time went; and the raw
 * TCP echo under the 256-connection and churn loads, whose goals are set against it, to read ours
 * beside it. The `.cpuprofile` files stay for Chrome DevTools or speedscope.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { summarizeFile } from './cpuprofile-top.js';
import { sizeLabel } from './format.js';
import { beforeMeasuring, endpointOf, type Context, type Subject } from './groups/common.js';
import type { Endpoint, Job, Timing } from './jobs.js';
import { startServer } from './processes.js';

interface ProfiledRun {
  name: string;
  title: string;
  subject: Subject;
  job(endpoint: Endpoint): Job;
}

export async function runProfiles(ctx: Context, dir: string, top: number, timing: Timing): Promise<string[]> {
  const outDir = resolve(dir);
  mkdirSync(outDir, { recursive: true });
  const echo = (args: string[]): Subject => ({ impl: 'ours', kind: 'ws', spec: { script: 'scripts/echo-server.js', nodeFlags: args } });
  const rawTcp: Subject = { impl: 'raw', kind: 'tcp', spec: { script: 'scripts/bench/servers/tcp-echo.js' } };
  const many = (endpoint: Endpoint): Job => ({ type: 'pingpong', endpoint, size: 32, connections: ctx.config.manyConnections, timing });
  const churn = (endpoint: Endpoint): Job => ({ type: 'handshakes', endpoint, concurrency: ctx.config.handshakeConcurrency, timing });
  const { broadcastClients: clients, broadcastWindow: window, broadcastSize: size } = ctx.config;
  const runs: ProfiledRun[] = [
    ...[32, 1024, 64 * 1024].map((n) => ({
      name: `echo-pipelined-${n}`,
      title: `scripts/echo-server.ts, pipelined ${sizeLabel(n)} messages`,
      subject: echo([]),
      job: (endpoint: Endpoint): Job => ({ type: 'pipelined', endpoint, size: n, payload: 'binary', timing }),
    })),
    { name: 'echo-connections', title: `scripts/echo-server.ts, ${ctx.config.manyConnections} connections ping-pong`, subject: echo([]), job: many },
    { name: 'raw-tcp-connections', title: `servers/tcp-echo.ts (raw TCP), ${ctx.config.manyConnections} connections ping-pong`, subject: rawTcp, job: many },
    {
      name: 'broadcast',
      title: `servers/broadcast-ours.ts, ${size} B to ${clients} clients`,
      subject: { impl: 'ours', kind: 'ws', spec: { script: 'scripts/bench/servers/broadcast-ours.js' } },
      job: (endpoint) => ({ type: 'broadcast', endpoint, clients, size, window, timing }),
    },
    { name: 'echo-handshakes', title: `scripts/echo-server.ts, connection churn (${ctx.config.handshakeConcurrency} concurrent cycles)`, subject: echo([]), job: churn },
    { name: 'raw-tcp-handshakes', title: `servers/tcp-echo.ts (raw TCP), connection churn (${ctx.config.handshakeConcurrency} concurrent cycles)`, subject: rawTcp, job: churn },
  ];
  const sections: string[] = [];
  for (const run of runs) {
    const file = join(outDir, `${run.name}.cpuprofile`);
    const flags = ['--cpu-prof', `--cpu-prof-dir=${outDir}`, `--cpu-prof-name=${run.name}.cpuprofile`];
    const spec = { ...run.subject.spec, nodeFlags: [...(run.subject.spec.nodeFlags ?? []), ...flags] };
    await beforeMeasuring(ctx);
    const server = await startServer(spec, ctx.launch);
    try {
      const result = await ctx.loadgen.run(run.job(endpointOf(run.subject, server)));
      ctx.log(`[profile] ${run.name}: ${Math.round(result.count / result.seconds).toLocaleString('en-US')}/s, server CPU ${Math.round(result.serverCpu * 100)}%`);
    } finally {
      await server.stop(); // a normal exit is what writes the profile
    }
    sections.push(`${summarizeFile(file, process.cwd(), top).replace(/^#### .*/, `#### ${run.title}`)}\n\nProfile: \`${file}\``);
  }
  return sections;
}
