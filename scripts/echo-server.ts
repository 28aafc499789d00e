/**
 * The echo server: the Autobahn testee and the benchmark server. Every message comes back with
 * its type. A raw node:net server; the handshake is parsed by rfc6455 itself.
 *
 *   npx tsx scripts/echo-server.ts --port 9001 [--host 127.0.0.1] [--compression] [--http2 [--tls]] [--for-await]
 *
 * --http2 also serves WebSockets over HTTP/2 (RFC 8441) on the same port: h2c by prior knowledge
 * beside HTTP/1.1 upgrades, or with --tls, h2 and http/1.1 chosen by ALPN. --tls uses a fresh
 * self-signed certificate for localhost, written to a file named on a `certificate:` line, for a
 * client's `ca`.
 *
 * --compression accepts permessage-deflate offers (RFC 7692), context takeover included, and
 * compresses every echoed message (threshold 0), as the Autobahn 12.x/13.x cases expect.
 *
 * Messages are read with `conn.forEachMessage()`; --for-await reads them with `for await`
 * instead (the same echo, a promise per message: the benchmark compares the two).
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type MessageHandler, serve } from '../src/index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '9001' },
    host: { type: 'string', default: '127.0.0.1' },
    compression: { type: 'boolean', default: false },
    http2: { type: 'boolean', default: false },
    tls: { type: 'boolean', default: false },
    'for-await': { type: 'boolean', default: false },
  },
});

/** A self-signed certificate for localhost and the loopback addresses, for --tls. */
async function testCertificate(): Promise<{ cert: string; key: string }> {
  // Loaded only with --tls: the benchmark's echo server should carry nothing it does not use.
  const selfsigned = await import('selfsigned');
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }] }],
  });
  return { cert: pems.cert, key: pems.private };
}
const tls = values.tls ? await testCertificate() : undefined;

/** One handler for every connection: no closure per connection. */
const echo: MessageHandler = ({ type, data }, conn) => conn.writeMessage(type, data);
const ignore = (): void => {}; // a protocol failure has already been answered with its close code

const server = await serve(
  {
    port: Number(values.port),
    host: values.host,
    upgrader: {
      checkOrigin: () => true, // a testee talks to any origin
      readLimit: 64 * 1024 * 1024,
      enableCompression: values.compression ? { threshold: 0 } : false,
    },
    onError: () => {}, // peers that break the protocol are the point of a conformance run
    http2: values.http2,
    ...(tls !== undefined ? { tls } : {}),
  },
  values['for-await']
    ? async (conn) => {
        try {
          for await (const { type, data } of conn) await conn.writeMessage(type, data);
        } catch {
          // The connection has already answered with the right close code.
        }
      }
    : (conn) => conn.forEachMessage(echo).catch(ignore),
);
console.log(`listening on ${server.url}`);
if (tls !== undefined) {
  const file = join(tmpdir(), `rfc6455-echo-${process.pid}.pem`);
  writeFileSync(file, tls.cert);
  console.log(`certificate: ${file}`);
}

let stopping = false;
const stop = (): void => {
  if (stopping) process.exit(1);
  stopping = true;
  void server.close().then(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
