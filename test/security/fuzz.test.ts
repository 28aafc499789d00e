/**
 * The short fuzz (the long one is `npm run fuzz`): random valid and invalid frame sequences in
 * random TCP chunkings against a real server in this process. Every connection must end as the
 * RFC allows for what was sent (scripts/fuzz/oracle.ts), nothing may escape as an uncaught
 * exception or unhandled rejection, and the server must keep serving.
 */
import { describe, expect, it } from 'vitest';
import { fuzz } from '../../scripts/fuzz/property.js';
import { startFuzzServer } from '../../scripts/fuzz/server.js';
import { onCleanup } from '../helpers/servers.js';
import { expectStillServing, guardProcess } from './support/target.js';

describe('fuzz (short)', () => {
  it('1,500 random frame sequences and chunkings end as the RFC allows, and the server keeps serving', { timeout: 60_000 }, async () => {
    guardProcess();
    const server = await startFuzzServer();
    onCleanup(() => server.close());
    const run = await fuzz(server.port, { numRuns: 1500 });
    if (run.failure !== null) {
      const f = run.failure;
      expect.fail(`${f.problem}\nreplay: npm run fuzz -- --seed ${f.seed} --path ${f.path}`);
    }
    expect(run.cases).toBe(1500);
    await expectStillServing(server);
  });
});
