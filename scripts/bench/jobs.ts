/**
 * What the orchestrator asks of the load generator, and what it answers, over the IPC channel.
 * Plain JSON-serialisable data: the two run in separate processes pinned to separate cores.
 */

/** How the load generator talks to a server: WebSocket frames, or raw bytes to a TCP echo. */
export interface Endpoint {
  kind: 'ws' | 'tcp';
  host: string;
  port: number;
  /** The server's process id: its CPU time is read from /proc around the measuring window. */
  serverPid: number;
  /** Offer permessage-deflate in the handshake. */
  offerDeflate?: boolean;
  /** The request path (default '/'), e.g. socket.io's `/socket.io/?EIO=4&transport=websocket`. */
  path?: string;
  /** The client's source address (default: the kernel's choice), to spread connections over loopback addresses. */
  localAddress?: string;
}

export interface Timing {
  /** Load runs this long before the window opens (JIT, socket buffers, caches). */
  warmupMs: number;
  /** The measuring window. */
  durationMs: number;
}

/** What the messages carry: random-looking bytes (binary frames) or JSON-like text (text frames). */
export type PayloadKind = 'binary' | 'json';

export type Job =
  | { type: 'pingpong'; endpoint: Endpoint; size: number; connections: number; timing: Timing }
  | { type: 'pipelined'; endpoint: Endpoint; size: number; payload: PayloadKind; timing: Timing }
  | { type: 'handshakes'; endpoint: Endpoint; concurrency: number; timing: Timing }
  | { type: 'broadcast'; endpoint: Endpoint; clients: number; size: number; window: number; timing: Timing }
  | { type: 'open-idle'; endpoint: Endpoint; connections: number }
  // WebSockets as streams of one HTTP/2 session (RFC 8441): loadgen/http2.ts.
  | { type: 'h2-handshakes'; endpoint: Endpoint; concurrency: number; timing: Timing }
  | { type: 'h2-pipelined'; endpoint: Endpoint; size: number; timing: Timing }
  | { type: 'h2-open-idle'; endpoint: Endpoint; connections: number }
  | { type: 'close-idle' };

export interface LoadResult {
  /** Messages (or handshakes, or deliveries) completed inside the window. */
  count: number;
  /** The window's actual length. */
  seconds: number;
  /** Payload bytes those messages carried (uncompressed). */
  payloadBytes: number;
  /** Round-trip times in microseconds (ping-pong only). */
  latency?: { p50: number; p99: number };
  /** CPU time of the load generator and of the server during the window, in cores (1 = one full core). */
  loadCpu: number;
  serverCpu: number;
  /** CPU used by every other process on the machine meanwhile, in cores: how quiet the window was. */
  otherCpu?: number;
  /** false when the server did not accept the permessage-deflate offer: nothing was measured. */
  negotiated?: boolean;
  /** Handshake cycles that failed (refused, reset, or a bad response) while the load ran. */
  failures?: number;
  /** open-idle: connections open. */
  opened?: number;
}

export type Request = { id: number; job: Job };
export type Reply = { id: number; result: LoadResult } | { id: number; error: string };
