/**
 * Case tables and how they run. A case is a script for the peer, written once for both roles:
 * the peer masks or not, and closes TCP or waits for it, as its role requires. So the same tables
 * run against our server and against our client.
 */
import { describe, it } from 'vitest';
import type { HandshakeSpec } from './handshake.js';
import type { Peer } from './peer.js';
import type { Testee } from './testee.js';

export interface ConformanceCase {
  /** The Autobahn case whose behaviour this checks; variants of one case share its id. */
  id: string;
  /** What the peer does and what the testee must do. */
  title: string;
  /** How the opening handshake negotiates permessage-deflate; by default nothing is offered or accepted. */
  handshake?: HandshakeSpec;
  run(peer: Peer): Promise<void>;
  timeout?: number;
}

export function runCases(title: string, testee: Testee, cases: readonly ConformanceCase[]): void {
  testee.plan?.(cases);
  describe(title, () => {
    for (const c of cases) {
      it(`${c.id} ${c.title}`, () => runCase(testee, c), c.timeout ?? 30_000);
    }
  });
}

async function runCase(testee: Testee, c: ConformanceCase): Promise<void> {
  const peer = await testee.open(c);
  try {
    await c.run(peer);
  } finally {
    peer.destroy();
  }
}
