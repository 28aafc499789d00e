/** Starting the isolation tests' attacker (attacker-child.ts) in its own process, and talking to it. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { deferred, onCleanup } from '../../helpers/servers.js';
import type { AttackKind, AttackReport, AttackerMessage } from './attacker-child.js';

export type { AttackKind, AttackReport } from './attacker-child.js';

const CHILD = fileURLToPath(new URL('./attacker-child.ts', import.meta.url));

export interface Attacker {
  /** Resolves once the attack is really running (the child says so). */
  underWay: Promise<void>;
  /** Tells the attacker to stop; resolves with what it did. */
  stop(): Promise<AttackReport>;
}

export function startAttacker(kind: AttackKind, port: number): Attacker {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, kind, String(port)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  onCleanup(() => void child.kill('SIGKILL'));
  const underWay = deferred();
  const report = deferred<AttackReport>();
  const fail = (why: string): void => {
    const error = new Error(`the attacker ${why}`);
    underWay.reject(error);
    report.reject(error);
  };
  child.on('message', (m: AttackerMessage) => {
    if (m.kind === 'under-way') underWay.resolve();
    else if (m.kind === 'report') report.resolve({ sent: m.sent, closes: m.closes });
    else fail(`failed: ${m.error}`);
  });
  child.on('exit', (code, signal) => fail(`exited (${code ?? signal}) before it reported`));
  child.on('error', (err) => fail(`could not start: ${err.message}`));
  // Whichever is not awaited must not become an unhandled rejection.
  underWay.promise.catch(() => {});
  report.promise.catch(() => {});
  return {
    underWay: underWay.promise,
    stop: () => {
      if (child.connected) child.send('stop');
      return report.promise;
    },
  };
}
