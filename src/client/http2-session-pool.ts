/**
 * HTTP/2 sessions shared by the WebSockets of one origin (RFC 8441 §1: many WebSockets over one
 * connection). A session is keyed by origin and by the TLS options and DNS lookup it was opened
 * with; it is opened on the first dial, reused while it lives, and closed once its last stream has
 * ended and it has stayed idle for `idleTimeout`. An origin found not to offer extended CONNECT
 * (no `h2` by ALPN, or no `SETTINGS_ENABLE_CONNECT_PROTOCOL`) is remembered for a while, so that
 * `'auto'` dials go straight to HTTP/1.1.
 */
import { type ClientHttp2Session, type ClientHttp2Stream, type OutgoingHttpHeaders, connect as connectHttp2 } from 'node:http2';
import { type LookupFunction, type Socket, connect as netConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { H2_SESSION_WINDOW, H2_STREAM_WINDOW } from '../connection-h2/windows.js';
import { DialError, type DialStage, DialTimeoutError } from './dial-errors.js';

/** Where and how to open a session. */
export interface SessionTarget {
  secure: boolean;
  hostname: string;
  port: number;
  /** `tls.connect` options (servername, ca, ...), for `wss:`. */
  tls: ConnectionOptions;
  lookup: LookupFunction | undefined;
  /** Offer http/1.1 beside h2 by ALPN (the `'auto'` mode). */
  offerHttp1: boolean;
  /** Most ms to open the session. */
  timeout: number;
  /** How long a session with no stream stays open. */
  idleTimeout: number;
}

/** How long an origin without extended CONNECT is remembered. */
const NO_H2_MEMORY = 5 * 60_000;

/** A usable session; `open()` starts a stream on it and counts it. */
export class PooledSession {
  readonly session: ClientHttp2Session;
  private streams = 0;
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly idleTimeout: number;

  constructor(session: ClientHttp2Session, idleTimeout: number) {
    this.session = session;
    this.idleTimeout = idleTimeout;
    this.becomeIdle();
  }

  get usable(): boolean {
    return !this.session.closed && !this.session.destroyed;
  }

  /** Opens a stream; the session stays open at least until the stream closes. */
  open(headers: OutgoingHttpHeaders): ClientHttp2Stream {
    const stream = this.session.request(headers, { endStream: false });
    this.streams++;
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.session.ref();
    stream.once('close', () => {
      if (--this.streams === 0) this.becomeIdle();
    });
    return stream;
  }

  private becomeIdle(): void {
    // An idle session must not keep the process alive, nor stay open for ever.
    this.session.unref();
    this.idleTimer = setTimeout(() => this.session.close(), this.idleTimeout);
    this.idleTimer.unref();
  }
}

export class Http2SessionPool {
  private readonly sessions = new Map<string, Promise<PooledSession | null>>();
  private readonly refused = new Map<string, number>();

  /**
   * A session to `target` that accepts extended CONNECT, or null when the server does not offer
   * it. Rejects with `DialError` (or `DialTimeoutError`) when the connection cannot be opened.
   */
  acquire(key: string, target: SessionTarget): Promise<PooledSession | null> {
    const refusedAt = this.refused.get(key);
    if (refusedAt !== undefined && Date.now() - refusedAt < NO_H2_MEMORY) return Promise.resolve(null);
    const existing = this.sessions.get(key);
    if (existing !== undefined) return existing.then((s) => (s === null || s.usable ? s : this.acquire(key, target)));
    const opening = openSession(target).then(
      (session) => {
        if (session === null) {
          this.sessions.delete(key);
          this.refused.set(key, Date.now());
          return null;
        }
        const forget = (): void => {
          if (this.sessions.get(key) === opening) this.sessions.delete(key);
        };
        // A session going away takes no new streams; the next dial opens another.
        session.once('goaway', forget);
        session.once('close', forget);
        return new PooledSession(session, target.idleTimeout);
      },
      (err: unknown) => {
        this.sessions.delete(key);
        throw err;
      },
    );
    this.sessions.set(key, opening);
    return opening;
  }
}

/** The pool every `Dialer` shares. */
export const defaultSessionPool = new Http2SessionPool();

/** Opens TCP (and TLS with ALPN), then HTTP/2, and waits for the server's SETTINGS (RFC 8441 §3). */
function openSession(target: SessionTarget): Promise<ClientHttp2Session | null> {
  return new Promise((resolve, reject) => {
    let stage: DialStage = 'tcp';
    let session: ClientHttp2Session | null = null;
    const lookup = target.lookup !== undefined ? { lookup: target.lookup } : {};
    let socket: Duplex;
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      cleanup();
      session?.destroy();
      socket.destroy();
      reject(err instanceof DialError ? err : new DialError(stage, `websocket: ${stage} failed: ${err.message}`, err));
    };
    const timer = setTimeout(() => fail(new DialTimeoutError(stage, target.timeout)), target.timeout);
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('error', fail);
    };
    const startHttp2 = (): void => {
      stage = 'handshake';
      const s = connectHttp2(`${target.secure ? 'https' : 'http'}://${target.hostname}:${target.port}`, {
        createConnection: () => socket,
        settings: { initialWindowSize: H2_STREAM_WINDOW },
      });
      session = s;
      s.on('error', ignoreError);
      s.once('error', fail);
      s.once('close', () => fail(new DialError(stage, 'websocket: the HTTP/2 session closed before its settings')));
      s.once('connect', () => s.setLocalWindowSize(H2_SESSION_WINDOW));
      s.once('remoteSettings', (settings) => {
        if (settled) return;
        settled = true;
        cleanup();
        s.off('error', fail);
        if (settings.enableConnectProtocol === true) return resolve(s);
        s.close(); // h2, but no WebSocket over it here
        resolve(null);
      });
    };
    if (target.secure) {
      const ALPNProtocols = target.offerHttp1 ? ['h2', 'http/1.1'] : ['h2'];
      const tls = tlsConnect({ ...target.tls, ...lookup, host: target.hostname, port: target.port, ALPNProtocols });
      socket = tls;
      tls.once('connect', () => (stage = 'tls'));
      tls.once('secureConnect', () => {
        if (tls.alpnProtocol === 'h2') return startHttp2();
        settled = true;
        cleanup();
        tls.destroy();
        resolve(null);
      });
    } else {
      const tcp: Socket = netConnect({ host: target.hostname, port: target.port, noDelay: true, ...lookup });
      socket = tcp;
      tcp.once('connect', startHttp2);
    }
    socket.on('error', fail);
  });
}

function ignoreError(): void {}
