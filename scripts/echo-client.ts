/**
 * The Autobahn fuzzingserver client driver: asks the fuzzingserver how many cases it has, runs
 * each one (echoing every message with its type until the server closes), then asks it to write
 * its reports. The handshake and every frame go through rfc6455's Dialer and Conn.
 *
 *   npx tsx scripts/echo-client.ts --url ws://127.0.0.1:9001 --agent rfc6455 [--compression]
 *
 * --compression offers permessage-deflate (RFC 7692) and compresses every echoed message
 * (threshold 0), for the 12.x/13.x cases.
 *
 * --http2 dials every WebSocket as a stream of one HTTP/2 session (RFC 8441): h2c for ws:, h2 by
 * ALPN for wss:; --ca FILE trusts a certificate (echo-server.ts --tls prints where its own is).
 *
 * Exits 0 once the reports are updated; 1 if the fuzzingserver cannot be reached or answers
 * nonsense. A case whose connection fails is reported and the run goes on: the fuzzingserver
 * judges it.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type Conn, Dialer } from '../src/index.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'ws://127.0.0.1:9001' },
    agent: { type: 'string', default: 'rfc6455' },
    compression: { type: 'boolean', default: false },
    http2: { type: 'boolean', default: false },
    ca: { type: 'string' },
  },
});

const base = values.url.replace(/\/+$/, '');
const agent = encodeURIComponent(values.agent);
// Cases 9.x send messages of up to 16 MiB; leave room, as the echo server does.
const dialer = new Dialer({
  readLimit: 64 * 1024 * 1024,
  enableCompression: values.compression ? { threshold: 0 } : false,
  http2: values.http2,
  ...(values.ca !== undefined ? { tls: { ca: readFileSync(values.ca, 'utf8') } } : {}),
});

/** Echoes until the peer closes; protocol errors are answered by the connection itself. */
async function echo(conn: Conn): Promise<void> {
  try {
    for await (const { type, data } of conn) await conn.writeMessage(type, data);
  } catch {
    // The close code the case expects has been sent; the fuzzingserver judges it.
  }
  await conn.closed;
}

async function caseCount(): Promise<number> {
  const { conn } = await dialer.dial(`${base}/getCaseCount`);
  const { data } = await conn.readMessage();
  await echoRest(conn);
  const count = Number(data.toString('utf8'));
  if (!Number.isInteger(count) || count < 0) throw new Error(`getCaseCount answered ${JSON.stringify(data.toString('utf8'))}`);
  return count;
}

/** Waits for the server to finish the connection, without echoing anything. */
async function echoRest(conn: Conn): Promise<void> {
  try {
    for await (const _ of conn);
  } catch {
    // ended abnormally: nothing left to do
  }
  await conn.closed;
}

async function main(): Promise<void> {
  const count = await caseCount();
  console.log(`${count} cases`);
  for (let n = 1; n <= count; n++) {
    try {
      const { conn } = await dialer.dial(`${base}/runCase?case=${n}&agent=${agent}`);
      await echo(conn);
      console.log(`case ${n}/${count} done`);
    } catch (err) {
      console.log(`case ${n}/${count} failed to connect: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const { conn } = await dialer.dial(`${base}/updateReports?agent=${agent}`);
  await echoRest(conn);
  console.log('reports updated');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`echo-client: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
