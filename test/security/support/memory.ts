/** Memory measurements with a forced garbage collection, for bounds that do not depend on speed. */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

/** Runs a full garbage collection (twice: weak references and finalizers free more on the second). */
export function forceGc(): void {
  collect();
  collect();
}

/** Bytes held by this process's JavaScript objects and buffers, after a full collection. */
export function liveBytes(): number {
  forceGc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

export const MiB = 1024 * 1024;
