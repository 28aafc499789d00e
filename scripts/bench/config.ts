/**
 * How long and how hard each scenario runs, in the full run and in `--quick` mode. The full run
 * fits in about ten minutes on a 2-core machine; the quick one in about two.
 */
import type { Timing } from './jobs.js';

export interface BenchConfig {
  /** Rounds per figure; each figure is the median of its rounds. */
  rounds: number;
  timing: Timing;
  /** Connections held open in the idle-memory scenario. */
  idleConnections: number;
  /** Connections asked for in the idle-at-scale scenario (fewer when the machine cannot hold them). */
  scaleConnections: number;
  /** Clients of the broadcast scenario, and broadcasts kept in flight. */
  broadcastClients: number;
  broadcastWindow: number;
  broadcastSize: number;
  /** Connections of the many-connections ping-pong. */
  manyConnections: number;
  /** Concurrent connect-handshake-close cycles. */
  handshakeConcurrency: number;
  /** Length of one in-process micro-benchmark round. */
  microRoundMs: number;
}

export const FULL: BenchConfig = {
  rounds: 5,
  timing: { warmupMs: 500, durationMs: 1500 },
  idleConnections: 5000,
  scaleConnections: 50_000,
  broadcastClients: 1000,
  broadcastWindow: 16,
  broadcastSize: 64,
  manyConnections: 256,
  handshakeConcurrency: 32,
  microRoundMs: 250,
};

export const QUICK: BenchConfig = {
  ...FULL,
  rounds: 2,
  timing: { warmupMs: 200, durationMs: 500 },
  idleConnections: 1000,
  microRoundMs: 100,
};

export const PINGPONG_SIZES = [32, 1024] as const;
export const PIPELINED_SIZES = [32, 1024, 64 * 1024, 1024 * 1024] as const;
export const DEFLATE_SIZES = [1024, 64 * 1024] as const;
/** Message size of the many-connections ping-pong. */
export const MANY_SIZE = 32;
