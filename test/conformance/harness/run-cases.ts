/**
 * Case tables and how they run. A case is a script for the peer, written once for both roles:
 * the peer masks or not, and closes TCP or waits for it, as its role requires. So the tables run
 * against our server today and against our client once it exists.
 */
import { describe, it } from 'vitest';
import type { Peer } from './peer.js';
import type { Testee } from './testee.js';

/** A bug in code this suite does not own, which makes a case fail in a known way. */
export interface KnownIssue {
  /** What is wrong, and where. */
  bug: string;
  /** The failure the bug causes today; any other failure still fails the test. */
  symptom: RegExp;
  /** When the bug shows only sometimes (it depends on how TCP delivers the bytes): when. */
  intermittent?: string;
}

export interface ConformanceCase {
  /** The Autobahn case whose behaviour this checks; variants of one case share its id. */
  id: string;
  /** What the peer does and what the testee must do. */
  title: string;
  run(peer: Peer): Promise<void>;
  /**
   * The case fails today because of this bug. The test then passes only on that failure, and
   * fails once the case passes, so that the marker is removed when the bug is fixed (an
   * intermittent issue may also pass).
   */
  knownIssue?: KnownIssue;
  timeout?: number;
}

export function runCases(title: string, testee: Testee, cases: readonly ConformanceCase[]): void {
  describe(title, () => {
    for (const c of cases) {
      const marker = c.knownIssue === undefined ? '' : c.knownIssue.intermittent === undefined ? ' [KNOWN ISSUE: fails]' : ' [KNOWN ISSUE: may fail]';
      const name = `${c.id} ${c.title}${marker}`;
      it(name, () => runCase(testee, c), c.timeout ?? 30_000);
    }
  });
}

async function runCase(testee: Testee, c: ConformanceCase): Promise<void> {
  const peer = await testee.open();
  try {
    if (c.knownIssue === undefined) return await c.run(peer);
    try {
      await c.run(peer);
    } catch (err) {
      if (c.knownIssue.symptom.test(String(err))) return;
      throw err;
    }
    if (c.knownIssue.intermittent !== undefined) return;
    throw new Error(`case ${c.id} passes now: the known issue is fixed (${c.knownIssue.bug}); remove its marker`);
  } finally {
    peer.destroy();
  }
}
