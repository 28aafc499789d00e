/** The messages the soak's processes exchange over their IPC channels. */

/** Orchestrator → server. */
export type ServerRequest = { type: 'memory'; gc: boolean };

/** The server's memory, as `process.memoryUsage()` reports it, and its open connections. */
export interface MemorySample {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  connections: number;
}

/** Server → orchestrator. */
export type ServerMessage = { type: 'listening'; port: number } | ({ type: 'memory' } & MemorySample);

/** The load's counters; `lost` must end at 0. */
export interface LoadCounters {
  /** Connections open now. */
  open: number;
  /** Opening handshakes completed, reconnects included. */
  connects: number;
  /** Dials that failed. */
  connectFailures: number;
  /** Messages sent. */
  sent: number;
  /** Echoes received, each equal to the oldest message still awaited on its connection. */
  echoed: number;
  /** Messages in flight on a connection we killed abruptly: not expected back. */
  abandoned: number;
  /** Messages sent on a connection not killed that never came back. */
  lost: number;
  /** Echoes that were not the next message awaited (out of order, or altered). */
  corrupt: number;
  /** Connections we killed abruptly (TCP reset, no closing handshake). */
  aborts: number;
  /** Connections we closed with a closing handshake, after all their echoes came back. */
  graceful: number;
  /** Closing handshakes that did not end cleanly. */
  uncleanCloses: number;
  /** Connections that ended without us ending them. */
  unexpectedEnds: number;
}

/** Load → orchestrator. */
export type LoadMessage = { type: 'progress' | 'done'; counters: LoadCounters };
