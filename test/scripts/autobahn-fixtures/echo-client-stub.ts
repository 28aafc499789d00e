/**
 * A client testee with the flags of scripts/echo-client.ts (`--url`, `--agent`, `--compression`),
 * built on `ws`, for testing what scripts/autobahn.sh passes to a client driver
 * (AUTOBAHN_CLIENT_TESTEE). It runs every case of the fuzzing server, echoing each message with its
 * type, then asks for the reports. It takes --compression but never offers permessage-deflate: a
 * driver without it. FAKE_CLIENT_LOG=FILE records its command line.
 */
import { appendFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

const { values } = parseArgs({
  options: { url: { type: 'string' }, agent: { type: 'string' }, compression: { type: 'boolean', default: false } },
});
if (process.env.FAKE_CLIENT_LOG) appendFileSync(process.env.FAKE_CLIENT_LOG, `${process.argv.slice(2).join(' ')}\n`);

/** Opens `path`, echoes every message, and resolves with the first one when the server closes. */
function visit(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // A handshake timeout, as scripts/echo-client.ts's Dialer has (30 s): on a port some other
    // server took first, the run fails instead of hanging.
    const ws = new WebSocket(`${values.url}${path}`, { perMessageDeflate: false, handshakeTimeout: 30_000 });
    let first = '';
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (first === '') first = data.toString();
      ws.send(isBinary ? data : data.toString());
    });
    ws.on('close', () => resolve(first));
    ws.on('error', reject);
  });
}

const agent = encodeURIComponent(values.agent ?? 'rfc6455');
const count = Number(await visit('/getCaseCount'));
for (let i = 1; i <= count; i++) await visit(`/runCase?case=${i}&agent=${agent}`);
await visit(`/updateReports?agent=${agent}`);
