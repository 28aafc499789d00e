/**
 * Planning the idle-at-scale scenario around the machine's limits. One process holds at most as
 * many sockets as it may open files, and one client address reaches one server port from at most
 * as many ephemeral ports as the kernel hands out; so the load is spread over several load
 * processes, each with its own loopback source address (127.0.0.2, 127.0.0.3, ...: all of
 * 127.0.0.0/8 is loopback on Linux), and a server that cannot hold N sockets gets the largest N
 * that fits, said out loud. Pure functions: the numbers come in, a plan comes out.
 */
import { readFileSync } from 'node:fs';

/** Descriptors a process keeps for itself (stdio, IPC, epoll, the listener, a probe request). */
export const RESERVED_FDS = 100;
/**
 * Connections bound to one source address, as a share of the ephemeral ports. `bind()` to an
 * address with port 0 searches ports one parity at a time; measured here (Linux 6.18), binds
 * stayed under 0.1 ms each up to about a quarter of the range and then took 3–30 ms each as
 * the kernel scanned for the few free ports left. An eighth keeps well clear of that cliff.
 */
export const PORT_SHARE_PER_ADDRESS = 1 / 8;
/** Share of the connections that send messages; the rest stay idle. */
export const ACTIVE_FRACTION = 0.01;
/** Source addresses 127.0.0.2 up to 127.0.0.254 (127.0.0.1 stays for everything else). */
const FIRST_HOST = 2;
const LAST_HOST = 254;
const ADDRESSES = LAST_HOST - FIRST_HOST + 1;

/**
 * The `index`th source address, wrapping around. Successive measurements take fresh ones: a port
 * explicitly bound to an address is not reused while it lingers in TIME_WAIT, and binding gets
 * slow long before the ports run out.
 */
export function sourceAddress(index: number): string {
  return `127.0.0.${FIRST_HOST + (index % ADDRESSES)}`;
}

export interface Limits {
  /** Open files a server process may have (its hard limit: node raises the soft one to it). */
  serverFiles: number;
  /** The same for a load process. */
  loadFiles: number;
  /** Ephemeral ports per source address (`net.ipv4.ip_local_port_range`). */
  portsPerAddress: number;
}

export interface LoadWorker {
  /** Local addresses its connections come from, in about equal shares. */
  addresses: string[];
  connections: number;
  /** How many of them send messages. */
  active: number;
}

export interface ScalePlan {
  requested: number;
  /** Connections actually opened: `requested`, or the most that fit. */
  connections: number;
  active: number;
  workers: LoadWorker[];
  /** Why `connections` is below `requested`; null when it is not. */
  reduced: string | null;
  /** Source addresses the plan uses, all workers together. */
  addressCount: number;
}

/** Ephemeral ports from the text of /proc/sys/net/ipv4/ip_local_port_range ("32768\t60999"). */
export function parsePortRange(text: string): number {
  const [low, high] = text.trim().split(/\s+/).map(Number);
  if (!(Number.isInteger(low) && Number.isInteger(high) && high! >= low!)) throw new Error(`unreadable port range ${JSON.stringify(text)}`);
  return high! - low! + 1;
}

export function localPortCount(): number {
  try {
    return parsePortRange(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'latin1'));
  } catch {
    return 28_232; // Linux's default range, 32768–60999
  }
}

/** Spreads `total` over `weights` in proportion, in whole numbers that add up to `total`. */
export function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum === 0) return weights.map(() => 0);
  const exact = weights.map((w) => (total * w) / sum);
  const shares = exact.map(Math.floor);
  let left = total - shares.reduce((a, b) => a + b, 0);
  // The largest remainders get the leftover units, first come first served on ties.
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left === 0) break;
    shares[i]!++;
    left--;
  }
  return shares;
}

/** Connections per source address that still bind quickly. */
export function perAddress(portsPerAddress: number): number {
  return Math.max(1, Math.floor(portsPerAddress * PORT_SHARE_PER_ADDRESS));
}

/** The plan; `firstAddress` is the index (see `sourceAddress`) of the first source address it uses. */
export function planScale(requested: number, limits: Limits, firstAddress = 0): ScalePlan {
  if (!(Number.isInteger(requested) && requested > 0)) throw new RangeError(`connections must be a positive integer, got ${requested}`);
  const perServer = Math.max(0, limits.serverFiles - RESERVED_FDS);
  const perWorker = Math.max(0, limits.loadFiles - RESERVED_FDS);
  const addressShare = perAddress(limits.portsPerAddress);
  const loadCapacity = Math.min(perWorker * ADDRESSES, addressShare * ADDRESSES);
  const connections = Math.min(requested, perServer, loadCapacity);
  if (connections === 0) throw new Error(`no connections fit: open files ${limits.serverFiles} (server), ${limits.loadFiles} (load), ${limits.portsPerAddress} ports per address`);
  const reasons: string[] = [];
  if (perServer < requested) reasons.push(`a server process may open ${limits.serverFiles} files (hard limit; ${RESERVED_FDS} kept for the process itself), so it holds at most ${perServer} sockets`);
  if (loadCapacity < requested) reasons.push(`the load processes reach at most ${loadCapacity} connections over ${ADDRESSES} source addresses`);
  const sizes: number[] = [];
  for (let left = connections; left > 0; left -= sizes[sizes.length - 1]!) sizes.push(Math.min(left, perWorker));
  const active = Math.max(1, Math.round(connections * ACTIVE_FRACTION));
  const actives = apportion(active, sizes);
  let next = firstAddress;
  const workers = sizes.map((n, i) => {
    const count = Math.ceil(n / addressShare);
    return { addresses: Array.from({ length: count }, () => sourceAddress(next++)), connections: n, active: actives[i]! };
  });
  return {
    requested,
    connections,
    active,
    workers,
    reduced: reasons.length === 0 ? null : `asked for ${requested} connections, running ${connections}: ${reasons.join('; ')}`,
    addressCount: next - firstAddress,
  };
}
