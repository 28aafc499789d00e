/**
 * The few parts of Bun's API that the Bun anchor servers use, typed here because the bench
 * compiles with Node's types only (no `bun-types` dependency for two small scripts). These
 * scripts run on the `bun` binary, never on node.
 */

export interface BunWebSocket {
  /** Text for a string, binary for bytes; `compress` asks for permessage-deflate on this message. */
  send(data: string | Uint8Array, compress?: boolean): number;
  subscribe(topic: string): void;
}

export interface BunServer {
  readonly port: number;
  upgrade(request: Request): boolean;
  /** To every subscriber of `topic`, the sender included when called on the server. */
  publish(topic: string, data: string | Uint8Array, compress?: boolean): number;
  stop(closeActiveConnections?: boolean): void;
}

export interface BunServeOptions {
  port: number;
  hostname: string;
  fetch(request: Request, server: BunServer): Response | undefined;
  websocket: {
    message(ws: BunWebSocket, message: string | Uint8Array): void;
    open?(ws: BunWebSocket): void;
    perMessageDeflate?: boolean;
    maxPayloadLength?: number;
    backpressureLimit?: number;
    closeOnBackpressureLimit?: boolean;
    /** Seconds; 0 turns the idle timeout off (the default closes idle connections after 120 s). */
    idleTimeout?: number;
    sendPings?: boolean;
  };
}

export interface BunApi {
  serve(options: BunServeOptions): BunServer;
  /** A full, synchronous collection when `force` is true. */
  gc(force: boolean): void;
}

export function bunApi(): BunApi {
  const api = (globalThis as { Bun?: BunApi }).Bun;
  if (api === undefined) throw new Error('this script runs on Bun: `node_modules/.bin/bun <script>`');
  return api;
}

/** What every Bun anchor server sets alike: ws's and our limits, and nothing closed for idling. */
export const ANCHOR_LIMITS = {
  maxPayloadLength: 64 * 1024 * 1024,
  // Past this, Bun drops messages unless told to close; the load never queues this much.
  backpressureLimit: 256 * 1024 * 1024,
  closeOnBackpressureLimit: false,
  idleTimeout: 0,
  sendPings: false,
} as const;

/**
 * `GET /bench/memory`: a forced full GC, then `process.memoryUsage()` — the Bun counterpart of
 * `memory-probe.ts`, over HTTP because the idle scenarios ask Bun servers this way.
 */
export function memoryResponse(bun: BunApi): Response {
  bun.gc(true);
  return Response.json(process.memoryUsage());
}

export const MEMORY_PATH = '/bench/memory';

export function listeningLine(host: string, server: BunServer): string {
  return `listening on ws://${host}:${server.port}`;
}
