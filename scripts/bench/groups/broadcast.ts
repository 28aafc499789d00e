/**
 * Broadcast: one message fanned out to every client. Purpose-built servers that differ only in
 * the library: ours frames each message once (`PreparedMessage`), `ws` passes the same buffer to
 * every `send`, the raw baseline writes the received bytes to every socket.
 */
import { formatNumber } from '../format.js';
import { assertOpenFiles } from '../processes.js';
import type { Subject } from './common.js';
import { type Group, type Measurement, cpuRows, measureServers, perSecond, rowOf, withBun } from './common.js';

const SUBJECTS: Subject[] = withBun(
  [
    { impl: 'raw', kind: 'tcp', spec: { script: 'scripts/bench/servers/broadcast-tcp.js' } },
    { impl: 'ws', kind: 'ws', spec: { script: 'scripts/bench/servers/broadcast-ws.js' } },
    { impl: 'ours', kind: 'ws', spec: { script: 'scripts/bench/servers/broadcast-ours.js' } },
  ],
  'scripts/bench/servers/bun-broadcast.js',
);

export const broadcast: Group = {
  name: 'broadcast',
  summary: 'one message to 1,000 connections (ours with PreparedMessage): deliveries/s',
  async run(ctx) {
    const { broadcastClients: clients, broadcastWindow: window, broadcastSize: size, timing } = ctx.config;
    assertOpenFiles(clients + 100);
    const measurements: Measurement[] = [
      { key: 'broadcast', label: `broadcast to ${clients}`, job: (endpoint) => ({ type: 'broadcast', endpoint, clients, size, window, timing }) },
    ];
    const results = await measureServers(ctx, 'broadcast', SUBJECTS, measurements);
    return {
      tables: [
        {
          title: `Broadcast to ${formatNumber(clients)} connections`,
          rawLabel: 'raw TCP',
          rows: [
            rowOf(`deliveries/s (${size} B text, ${window} broadcasts in flight)`, results.byKey.get('broadcast'), perSecond, {
              target: { versus: 'ws', ratio: 3, better: 'higher' },
              unavailable: results.unavailable,
            }),
          ],
          notes: [
            'A delivery is one message arriving at one client. One client publishes; every message goes to all clients, the publisher included.',
            'Bun: every connection subscribes to one topic and each message goes out with `server.publish` (framed once, like our PreparedMessage).',
          ],
        },
      ],
      cpu: { title: 'CPU during broadcast', rows: cpuRows(measurements, results) },
      errors: results.errors,
    };
  },
};
