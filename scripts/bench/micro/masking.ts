/**
 * Masking bandwidth (§5.3) against the machine's memcpy (`Buffer.copy`, native): masking touches
 * every payload byte once, like a copy, so memcpy is its physical ceiling in this runtime.
 * `ws` column: the unmasking `ws` runs on Node 20 without native add-ons (a byte-by-byte loop;
 * newer Node versions give it a native helper).
 */
import { applyMask } from '../../../src/protocol/mask.js';
import { MASK_KEY } from '../loadgen/frames.js';
import { binaryPayload } from '../loadgen/payloads.js';
import { sizeLabel } from '../format.js';
import type { Row, Table } from '../table.js';
import { type PassResult, type Workload, measureRounds } from './timing.js';
import { wsBufferUtil } from './ws-internals.js';

export const MASKING_SIZES = [1024, 64 * 1024, 1024 * 1024] as const;

/** Each pass covers about 1 MiB, in calls of `size` bytes. */
function repeated(size: number, call: (data: Buffer, scratch: Buffer) => void): Workload {
  return {
    prepare: () => {
      const data = binaryPayload(size);
      const scratch = Buffer.alloc(size);
      const calls = Math.max(1, Math.floor((1024 * 1024) / size));
      return (): PassResult => {
        for (let i = 0; i < calls; i++) call(data, scratch);
        return { units: calls, bytes: calls * size };
      };
    },
  };
}

const maskBytes = Buffer.alloc(4);
maskBytes.writeUInt32BE(MASK_KEY);

export async function maskingTable(rounds: number, roundMs: number): Promise<Table> {
  const rows: Row[] = [];
  for (const size of MASKING_SIZES) {
    const results = await measureRounds(
      [
        { key: 'raw', workload: repeated(size, (data, scratch) => data.copy(scratch)) },
        { key: 'ws', workload: repeated(size, (data) => wsBufferUtil.unmask(data, maskBytes)) },
        { key: 'ours', workload: repeated(size, (data) => applyMask(data, MASK_KEY)) },
      ],
      rounds,
      roundMs,
    );
    const gbps = (key: string): number[] => results.get(key)!.map((r) => r.bytes / r.seconds / 1e9);
    rows.push({
      label: `${sizeLabel(size)} buffers, GB/s`,
      values: { raw: gbps('raw'), ws: gbps('ws'), ours: gbps('ours') },
      target: { versus: 'raw', ratio: 0.25, better: 'higher' },
    });
  }
  return { title: 'Masking throughput (in-process, in place)', rawLabel: 'memcpy', rows };
}
