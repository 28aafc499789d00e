/**
 * How many bytes of JavaScript heap a piece of work allocates, garbage included: V8's sampling
 * heap profiler (through `node:inspector`), told to keep the samples of objects the garbage
 * collector has freed since, so short-lived objects count too. Sampling: about one sample every
 * `SAMPLING_INTERVAL` bytes, each standing for that many; over a few megabytes of allocation the
 * total is within a few percent.
 */
import { Session } from 'node:inspector/promises';

const SAMPLING_INTERVAL = 64;

interface ProfileNode {
  selfSize: number;
  children: ProfileNode[];
}

function totalSize(node: ProfileNode): number {
  let sum = node.selfSize;
  for (const child of node.children) sum += totalSize(child);
  return sum;
}

/** Bytes allocated while `work` runs (synchronously), garbage included. */
export async function bytesAllocatedBy(work: () => void): Promise<number> {
  const session = new Session();
  session.connect();
  try {
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: SAMPLING_INTERVAL,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    work();
    const { profile } = await session.post('HeapProfiler.stopSampling');
    return totalSize(profile.head as ProfileNode);
  } finally {
    session.disconnect();
  }
}
