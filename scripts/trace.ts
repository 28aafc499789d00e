/**
 * A WebSocket frame inspector, for debugging a server or client and for studying the protocol.
 * It prints the HTTP upgrade as sent, then every frame in both directions: FIN, RSV bits,
 * opcode, mask, length, a payload preview (text escaped, binary in hex, close code and reason),
 * and with permessage-deflate what each message inflates to.
 *
 * Connect mode: dial a server; each line typed is sent as a text message; Ctrl-D or Ctrl-C closes.
 *   npx tsx scripts/trace.ts ws://127.0.0.1:9001/ [--compression] [--subprotocol chat] [--origin URL]
 *
 * Proxy mode: sit between a client and a server and show both sides of every connection.
 *   npx tsx scripts/trace.ts --listen 9002 --upstream ws://127.0.0.1:9001 [--host 127.0.0.1]
 *
 * --http2       connect mode: open the WebSocket as a stream of an HTTP/2 session (RFC 8441)
 * --preview N   payload bytes shown per frame (default 64)
 * --insecure    wss: do not verify the server's certificate
 */
import { parseArgs } from 'node:util';
import { parseTarget, traceConnect } from './trace/connect.js';
import { hostPort, startRelay } from './trace/relay.js';

const USAGE = `usage:
  npx tsx scripts/trace.ts [--compression] [--subprotocol NAME]... [--origin URL] [--preview N] [--insecure] [--http2] ws://host:port/path
  npx tsx scripts/trace.ts --listen PORT --upstream ws://host:port [--host 127.0.0.1] [--preview N] [--insecure]`;

function fail(message: string): never {
  console.error(`trace: ${message}\n${USAGE}`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      listen: { type: 'string' },
      upstream: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      preview: { type: 'string', default: '64' },
      compression: { type: 'boolean', default: false },
      subprotocol: { type: 'string', multiple: true, default: [] },
      origin: { type: 'string' },
      insecure: { type: 'boolean', default: false },
      http2: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
} catch (err) {
  fail((err as Error).message);
}
const { values, positionals } = parsed;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const previewBytes = Number(values.preview);
if (!Number.isInteger(previewBytes) || previewBytes < 0) fail('--preview takes a whole number of bytes');
const print = (line: string): void => console.log(line);

if (values.listen !== undefined) {
  if (values.upstream === undefined || positionals.length > 0) fail('proxy mode takes --listen PORT and --upstream URL, and no URL of its own');
  const port = Number(values.listen);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail('--listen takes a port number');
  let upstream;
  try {
    upstream = parseTarget(values.upstream);
  } catch (err) {
    fail((err as Error).message);
  }
  if (upstream.target.pathname !== '/' || upstream.target.search !== '') console.error('trace: only the upstream host and port are used; clients choose the path');
  const relay = await startRelay({
    upstream: { host: upstream.host, port: upstream.port, secure: upstream.secure, verify: !values.insecure },
    port,
    host: values.host,
    previewBytes,
    print,
    numbered: true,
  });
  print(`listening on ws://${hostPort(values.host, relay.port)}, forwarding to ${upstream.target.protocol}//${hostPort(upstream.host, upstream.port)}`);
  const stop = (): void => {
    void relay.close().then(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} else {
  if (positionals.length !== 1) fail('give one ws:// or wss:// URL (or --listen and --upstream)');
  try {
    parseTarget(positionals[0]!);
  } catch (err) {
    fail((err as Error).message);
  }
  let traced;
  try {
    traced = await traceConnect({
      url: positionals[0]!,
      previewBytes,
      subprotocols: values.subprotocol,
      compression: values.compression,
      insecure: values.insecure,
      http2: values.http2,
      print,
      input: process.stdin,
      ...(values.origin !== undefined ? { origin: values.origin } : {}),
    });
  } catch (err) {
    console.error(`trace: ${(err as Error).message}`);
    process.exit(1);
  }
  if (process.stdin.isTTY) console.error('trace: connected; each line you type is sent as a text message (Ctrl-D or Ctrl-C closes)');
  let closing = false;
  const close = (): void => {
    if (closing) process.exit(1); // a second Ctrl-C: do not wait for the closing handshake
    closing = true;
    void traced.conn.close().catch(() => traced.conn.closeNow());
  };
  process.on('SIGINT', close);
  process.on('SIGTERM', close);
  await traced.done;
  process.exit(0);
}
