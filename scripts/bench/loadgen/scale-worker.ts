/**
 * One load process of the idle-at-scale scenario (groups/scale.ts starts several): it opens its
 * share of the connections from its own source address, keeps them open, and drives the active
 * ones (loadgen/active.ts) when told, one request at a time over IPC, one answer per request.
 */
import type { Endpoint } from '../jobs.js';
import { apportion } from '../scale-plan.js';
import { ActiveLoad, type ActiveResult } from './active.js';
import { type Opened, openMany } from './connect.js';
import { verifyEcho } from './echo.js';
import { clientDataFrame } from './frames.js';
import { binaryPayload } from './payloads.js';

export interface OpenRequest {
  type: 'open';
  endpoint: Endpoint;
  /** Source addresses, each taking an about equal share of the connections. */
  addresses: string[];
  connections: number;
  active: number;
  size: number;
  intervalMs: number;
  /** Handshakes in progress at once. */
  concurrency: number;
}

export type WorkerRequest = OpenRequest | { type: 'start' | 'open-window' | 'close-window' | 'close' } | { type: 'stop'; timeoutMs: number };

export type WorkerReply = { ok: true; opened?: number; result?: ActiveResult; loadCpuSeconds?: number } | { ok: false; error: string };

let conns: Opened[] = [];
let load: ActiveLoad | undefined;
let cpuAtOpen: NodeJS.CpuUsage | undefined;
let cpuSeconds = 0;

async function handle(request: WorkerRequest): Promise<WorkerReply> {
  switch (request.type) {
    case 'open': {
      const { endpoint, size } = request;
      const { addresses } = request;
      const shares = apportion(request.connections, addresses.map(() => 1));
      const concurrency = Math.max(1, Math.ceil(request.concurrency / addresses.length));
      const groups = await Promise.all(addresses.map((localAddress, i) => openMany({ ...endpoint, localAddress }, shares[i]!, concurrency)));
      conns = groups.flat();
      const payload = binaryPayload(size);
      const frame = endpoint.kind === 'ws' ? clientDataFrame(payload) : payload;
      const actives = conns.slice(0, request.active);
      // One echo checked before any figure: a server answering something else measures nothing.
      if (actives[0] !== undefined) await verifyEcho(endpoint, actives[0], { payload, frame });
      load = new ActiveLoad(endpoint, actives, frame, request.intervalMs);
      return { ok: true, opened: conns.length };
    }
    case 'start':
      load?.start();
      return { ok: true };
    case 'open-window':
      load?.openWindow();
      cpuAtOpen = process.cpuUsage();
      return { ok: true };
    case 'close-window': {
      load?.closeWindow();
      const used = process.cpuUsage(cpuAtOpen);
      cpuSeconds = (used.user + used.system) / 1e6;
      return { ok: true };
    }
    case 'stop':
      return { ok: true, result: (await load?.stop(request.timeoutMs)) ?? { samples: [], lost: 0 }, loadCpuSeconds: cpuSeconds };
    case 'close':
      // A reset leaves no TIME_WAIT behind (tens of thousands of them would slow the next bind).
      for (const c of conns) c.socket.resetAndDestroy();
      conns = [];
      return { ok: true };
  }
}

if (process.send !== undefined) {
  let queue = Promise.resolve();
  process.on('message', (request: WorkerRequest) => {
    queue = queue.then(async () => {
      let reply: WorkerReply;
      try {
        reply = await handle(request);
      } catch (err) {
        reply = { ok: false, error: err instanceof Error ? err.message : String(err) };
      }
      process.send!(reply);
    });
  });
  // Leaving closes every socket at once: the orchestrator disconnects (or kills) to end a round.
  process.on('disconnect', () => process.exit(0));
}
