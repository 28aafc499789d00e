/**
 * The load generator: one process, pinned to its own core, that runs one job at a time for the
 * orchestrator (`run.ts`) over the IPC channel and answers with the measured figures.
 *
 * It talks to servers over raw sockets with frames encoded and masked beforehand, and parses
 * only frame headers, so that it can drive a server much faster than any server can answer.
 */
import type { Job, LoadResult, Reply, Request } from '../jobs.js';
import { broadcast } from './broadcast.js';
import { type Opened, openMany } from './connect.js';
import { pingPong, pipelined } from './echo.js';
import { handshakes } from './handshakes.js';
import { h2Handshakes, h2OpenIdle, h2Pipelined } from './http2.js';
import type { ClientHttp2Session } from 'node:http2';

if (process.send === undefined) {
  console.error('the load generator runs under run.ts, which talks to it over IPC');
  process.exit(2);
}

/** Connections held open by `open-idle` until `close-idle`. */
let idle: Opened[] = [];
let idleSessions: ClientHttp2Session[] = [];

async function run(job: Job): Promise<LoadResult> {
  switch (job.type) {
    case 'pingpong':
      return pingPong(job.endpoint, job.size, job.connections, job.timing);
    case 'pipelined':
      return pipelined(job.endpoint, job.size, job.payload, job.timing);
    case 'handshakes':
      return handshakes(job.endpoint, job.concurrency, job.timing);
    case 'broadcast':
      return broadcast(job.endpoint, job.clients, job.size, job.window, job.timing);
    case 'open-idle': {
      idle.push(...(await openMany(job.endpoint, job.connections, 200)));
      return { count: 0, seconds: 0, payloadBytes: 0, loadCpu: 0, serverCpu: 0, opened: idle.length };
    }
    case 'h2-handshakes':
      return h2Handshakes(job.endpoint, job.concurrency, job.timing);
    case 'h2-pipelined':
      return h2Pipelined(job.endpoint, job.size, job.timing);
    case 'h2-open-idle': {
      const { session, opened } = await h2OpenIdle(job.endpoint, job.connections);
      idleSessions.push(session);
      return { count: 0, seconds: 0, payloadBytes: 0, loadCpu: 0, serverCpu: 0, opened };
    }
    case 'close-idle': {
      for (const c of idle) c.socket.destroy();
      idle = [];
      for (const s of idleSessions) s.destroy();
      idleSessions = [];
      return { count: 0, seconds: 0, payloadBytes: 0, loadCpu: 0, serverCpu: 0 };
    }
  }
}

let queue = Promise.resolve();
process.on('message', (request: Request) => {
  queue = queue.then(async () => {
    let reply: Reply;
    try {
      reply = { id: request.id, result: await run(request.job) };
    } catch (err) {
      reply = { id: request.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
    }
    process.send!(reply);
  });
});
process.on('disconnect', () => process.exit(0));
