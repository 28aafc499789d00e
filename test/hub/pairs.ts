/** Connected WebSocket pairs over loopback for the hub tests: the server end goes to the hub, the client end reads. */
import { type Conn, Dialer, type UpgraderOptions } from '../../src/index.js';
import { deferred, onCleanup, rawServer } from '../helpers/servers.js';

export interface Pairs {
  /** Dials once more; returns both ends. */
  connect(dialer?: Dialer): Promise<{ client: Conn; server: Conn }>;
}

export async function pairs(upgrader: UpgraderOptions = {}): Promise<Pairs> {
  const waiting: Array<(conn: Conn) => void> = [];
  const server = await rawServer((conn) => {
    waiting.shift()?.(conn);
  }, upgrader);
  return {
    async connect(dialer = new Dialer()) {
      const serverSide = deferred<Conn>();
      waiting.push(serverSide.resolve);
      const { conn: client } = await dialer.dial(server.url);
      onCleanup(() => client.closeNow());
      return { client, server: await serverSide.promise };
    },
  };
}

/** Reads `n` text messages. */
export async function readTexts(conn: Conn, n: number): Promise<string[]> {
  const out: string[] = [];
  while (out.length < n) out.push((await conn.readMessage()).data.toString());
  return out;
}
