/**
 * A TCP relay that shows what passes through it: each accepted connection is joined to a new
 * connection to the upstream server (TCP, or TLS for wss:), the bytes are forwarded unchanged in
 * both directions, and a copy of them goes to a `TraceSession`.
 */
import { type AddressInfo, type Server, type Socket, connect as tcpConnect, createServer } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { OrderedOutput } from './ordered-output.js';
import { TraceSession } from './session.js';

/** How long one side may stay open after the other has closed. */
const LINGER_MS = 5000;

export interface Upstream {
  host: string;
  port: number;
  /** Speak TLS to the upstream (wss:). */
  secure: boolean;
  /** wss: verify the upstream's certificate. Default true. */
  verify?: boolean;
}

export interface RelayOptions {
  upstream: Upstream;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  host: string;
  previewBytes: number;
  /** Where lines go (stdout in the tool). */
  print: (line: string) => void;
  /**
   * Number the connections (`[#1] ...`) and show each one opening and closing, as a proxy does;
   * off for the single connection of connect mode. Failures are shown either way.
   */
  numbered: boolean;
}

export interface Relay {
  readonly server: Server;
  readonly port: number;
  /** Resolves when no connection is open (at once if none is). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** `host:port`, with IPv6 addresses in brackets. */
export function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export async function startRelay(options: RelayOptions): Promise<Relay> {
  const sockets = new Set<Socket>();
  let count = 0;
  let open = 0;
  const idleWaiters: Array<() => void> = [];
  const server = createServer({ noDelay: true }, (client) => {
    const tag = options.numbered ? `[#${++count}] ` : '';
    const out = new OrderedOutput(options.print);
    const session = new TraceSession({ out, previewBytes: options.previewBytes, tag });
    const { upstream } = options;
    const target = upstream.secure
      ? tlsConnect({ host: upstream.host, port: upstream.port, servername: upstream.host, rejectUnauthorized: upstream.verify ?? true })
      : tcpConnect({ host: upstream.host, port: upstream.port, noDelay: true });
    open++;
    if (options.numbered) out.line(`${tag}connection from ${hostPort(client.remoteAddress ?? '?', client.remotePort ?? 0)} to ${hostPort(upstream.host, upstream.port)}`);
    for (const s of [client, target]) {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
    }
    join(client, target, (chunk) => session.fromClient(chunk));
    join(target, client, (chunk) => session.fromServer(chunk));
    let reported = false;
    const report = (what: string, always: boolean): void => {
      if (reported) return;
      reported = true;
      session.end();
      if (always || options.numbered) out.line(`${tag}${what}`);
    };
    client.on('error', (err) => report(`client connection failed: ${err.message}`, true));
    target.on('error', (err) => report(`upstream connection failed: ${err.message}`, true));
    let sides = 2;
    const onClose = (): void => {
      if (--sides > 0) return;
      report('closed', false);
      if (--open === 0) for (const wake of idleWaiters.splice(0)) wake();
    };
    client.once('close', onClose);
    target.once('close', onClose);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    idle: () => (open === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve))),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

/**
 * Forwards `from` to `to` with backpressure, showing each chunk to `see` first; an end is passed
 * on (half-close), an error or close of either side closes both.
 */
function join(from: Socket, to: Socket, see: (chunk: Buffer) => void): void {
  from.on('data', (chunk: Buffer) => {
    see(chunk);
    if (!to.write(chunk)) from.pause();
  });
  to.on('drain', () => from.resume());
  from.on('end', () => to.end());
  from.on('close', (hadError: boolean) => {
    if (hadError) return void to.destroy();
    // Let what is still queued for `to` go out; a peer that never closes is dropped after a while.
    to.end();
    setTimeout(() => to.destroy(), LINGER_MS).unref();
  });
}
