/**
 * Broadcast with Bun: every connection subscribes to one topic and every message a client sends
 * is published to it with `server.publish`, which (unlike `ws.publish`) includes the sender, as
 * the other broadcast servers do. Bun frames a published message once for all subscribers.
 *
 *   node_modules/.bin/bun scripts/bench/servers/bun-broadcast.js --port 0 [--host 127.0.0.1]
 */
import { parseArgs } from 'node:util';
import { ANCHOR_LIMITS, type BunServer, bunApi, listeningLine } from './bun-api.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '9009' },
    host: { type: 'string', default: '127.0.0.1' },
  },
});

const TOPIC = 'bench';

const server: BunServer = bunApi().serve({
  port: Number(values.port),
  hostname: values.host,
  fetch(request, srv) {
    return srv.upgrade(request) ? undefined : new Response('WebSocket only', { status: 400 });
  },
  websocket: {
    ...ANCHOR_LIMITS,
    perMessageDeflate: false,
    open(ws) {
      ws.subscribe(TOPIC);
    },
    message(_ws, message) {
      server.publish(TOPIC, message);
    },
  },
});
console.log(listeningLine(values.host, server));
