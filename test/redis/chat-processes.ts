/**
 * The scaled-out chat for tests: chat processes (examples/chat/server.ts with REDIS_URL) as child
 * processes, and scripted members that record every room message by publisher and sequence number.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { type Conn, Dialer } from '../../src/index.js';
import { onCleanup } from '../helpers/servers.js';

export interface ChatProcess {
  readonly port: number;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  /** Resolves once the process has printed (stdout or stderr) `count` lines matching `pattern` in all. */
  printed(pattern: RegExp, count?: number): Promise<void>;
  /** Everything it printed so far (for diagnosis). */
  output(): string;
}

/**
 * Starts a chat process on a port the system picks (a port found free here and bound there later
 * may be taken in between by another test) and waits until it serves and has reached Redis.
 */
export async function startChatProcess(redisUrl: string): Promise<ChatProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/chat/server.ts'], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', REDIS_URL: redisUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onCleanup(() => {
    child.kill('SIGKILL');
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let out = '';
  const watchers = new Set<() => void>();
  const append = (d: Buffer): void => {
    out += d.toString();
    for (const watch of [...watchers]) watch();
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const printed = (pattern: RegExp, count = 1): Promise<void> =>
    new Promise((resolve, reject) => {
      const global = new RegExp(pattern.source, 'g');
      const watch = (): void => {
        if ((out.match(global)?.length ?? 0) >= count) {
          watchers.delete(watch);
          resolve();
        }
      };
      watchers.add(watch);
      watch();
      void exited.then(() => reject(new Error(`chat process exited: ${out}`)));
    });
  await Promise.all([printed(/open http:\/\//), printed(/chat: Redis connected/)]);
  const port = Number(/open http:\/\/127\.0\.0\.1:(\d+)\//.exec(out)?.[1]);
  if (!(port > 0)) throw new Error(`no port in the chat's output: ${out}`);
  return { port, child, exited, printed, output: () => out };
}

interface RoomMessage {
  type: string;
  id?: string;
  text?: string;
}

/** A member that reads every room message and can reconnect elsewhere, resuming from its last id. */
export class ChatMember {
  /** Per publisher, the sequence numbers received, in order. */
  readonly received = new Map<string, number[]>();
  /** Every room message's id, in the order received (for diagnosis). */
  readonly log: string[] = [];
  lastId: string | null = null;
  missedNotices = 0;
  conn!: Conn;
  /** Settles when the current connection ends. */
  ended!: Promise<void>;
  private readonly checks: Array<() => boolean> = [];

  private constructor(readonly name: string) {}

  static async join(port: number, name: string): Promise<ChatMember> {
    const member = new ChatMember(name);
    await member.connect(port);
    return member;
  }

  /** (Re)connects to the process on `port`; with a last id, resumes after it. Resolves on the welcome. */
  async connect(port: number): Promise<void> {
    const { conn } = await new Dialer().dial(`ws://127.0.0.1:${port}/ws`);
    onCleanup(() => conn.closeNow());
    this.conn = conn;
    await conn.writeJSON(this.lastId === null ? { type: 'join', name: this.name } : { type: 'join', name: this.name, since: this.lastId });
    const welcome = await conn.readJSON<RoomMessage>();
    this.log.push(`connect since ${this.lastId}`);
    if (welcome.type !== 'welcome') throw new Error(`expected a welcome, got ${JSON.stringify(welcome)}`);
    this.ended = this.readAll(conn);
  }

  say(text: string): Promise<void> {
    return this.conn.writeJSON({ type: 'say', text });
  }

  /** Resolves once `check` holds (checked after every message). */
  until(check: () => boolean): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve) => this.checks.push(() => (check() ? (resolve(), true) : false)));
  }

  /** Whether it received sequence numbers 0..count-1 of `publisher`, each once, in order. */
  hasAll(publisher: string, count: number): boolean {
    const seqs = this.received.get(publisher) ?? [];
    return seqs.length >= count;
  }

  private async readAll(conn: Conn): Promise<void> {
    try {
      for (;;) {
        const message = await conn.readJSON<RoomMessage>();
        if (typeof message.id === 'string') this.lastId = message.id;
        this.log.push(`${message.id ?? '-'} ${message.type} ${message.text ?? ''}`);
        if (message.type === 'missed') this.missedNotices++;
        if (message.type === 'message' && typeof message.text === 'string') {
          const [publisher, seq] = message.text.split(':') as [string, string];
          const seqs = this.received.get(publisher) ?? [];
          seqs.push(Number(seq));
          this.received.set(publisher, seqs);
        }
        for (let i = this.checks.length - 1; i >= 0; i--) if (this.checks[i]!()) this.checks.splice(i, 1);
      }
    } catch {
      // the connection ended
    }
  }
}

/** 0, 1, ..., n-1. */
export const sequence = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
