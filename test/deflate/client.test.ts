/**
 * permessage-deflate on the client side: our Dialer against the ws package as server, for every
 * combination of offered and imposed parameters, against our own server, and against servers that
 * answer the offer wrongly (§7.1: the client must fail the connection).
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer, type PerMessageDeflateOptions as WsDeflateOptions } from 'ws';
import { BadHandshakeError, BinaryMessage, Dialer, type PerMessageDeflateOptions, TextMessage } from '../../src/index.js';
import { scriptedServer, switching } from '../client/fixtures.js';
import { echo, onCleanup, rawServer } from '../helpers/servers.js';

async function wsServer(perMessageDeflate: WsDeflateOptions): Promise<{ url: string; extensions: Promise<string> }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate });
  let resolveExtensions!: (e: string) => void;
  const extensions = new Promise<string>((r) => (resolveExtensions = r));
  wss.on('connection', (ws: WebSocket) => {
    resolveExtensions(ws.extensions);
    ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }));
  });
  await new Promise((r) => wss.once('listening', r));
  onCleanup(() => new Promise<void>((r) => {
    for (const c of wss.clients) c.terminate();
    wss.close(() => r());
  }));
  return { url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`, extensions };
}

const json = (i: number): string => JSON.stringify({ seq: i, text: 'repeated words for the window '.repeat(8) });

async function exercise(dialer: Dialer, url: string): Promise<void> {
  const { conn } = await dialer.dial(url);
  onCleanup(() => conn.closeNow());
  expect(conn.compression).not.toBeNull();
  for (let i = 0; i < 20; i++) await conn.writeMessage(TextMessage, json(i));
  for (let i = 0; i < 20; i++) expect((await conn.readMessage()).data.toString()).toBe(json(i));
  await conn.writeMessage(TextMessage, '');
  expect((await conn.readMessage()).data.length).toBe(0);
  const noise = randomBytes(40_000);
  await conn.writeMessage(BinaryMessage, noise);
  expect((await conn.readMessage()).data.equals(noise)).toBe(true);
  const writer = await conn.nextWriter(TextMessage);
  await writer.write('streamed ');
  await writer.write('and compressed ');
  await writer.close('in pieces');
  expect((await conn.readMessage()).data.toString()).toBe('streamed and compressed in pieces');
  await conn.close();
}

const offers: Array<[string, PerMessageDeflateOptions]> = [];
for (const serverNoContextTakeover of [false, true])
  for (const clientNoContextTakeover of [false, true])
    for (const serverMaxWindowBits of [undefined, 9, 15])
      for (const clientMaxWindowBits of [undefined, 8, 12]) {
        const o: PerMessageDeflateOptions = { threshold: 0, serverNoContextTakeover, clientNoContextTakeover };
        if (serverMaxWindowBits !== undefined) o.serverMaxWindowBits = serverMaxWindowBits;
        if (clientMaxWindowBits !== undefined) o.clientMaxWindowBits = clientMaxWindowBits;
        offers.push([JSON.stringify({ serverNoContextTakeover, clientNoContextTakeover, serverMaxWindowBits, clientMaxWindowBits }), o]);
      }

const wsConfigs: Array<[string, WsDeflateOptions]> = [
  ['ws server defaults', { threshold: 0 }],
  ['ws server imposing no context takeover', { threshold: 0, serverNoContextTakeover: true, clientNoContextTakeover: true }],
];

describe('permessage-deflate: our client ↔ ws server', () => {
  for (const [serverName, serverOptions] of wsConfigs) {
    describe(serverName, () => {
      for (const [name, options] of offers) {
        it(`offers ${name}`, async () => {
          const { url, extensions } = await wsServer(serverOptions);
          await exercise(new Dialer({ enableCompression: options }), url);
          expect(await extensions).toMatch(/^permessage-deflate/);
        });
      }
    });
  }
});

describe('permessage-deflate: our client ↔ our server', () => {
  const pairs: Array<[string, PerMessageDeflateOptions, PerMessageDeflateOptions]> = [
    ['defaults both sides', { threshold: 0 }, { threshold: 0 }],
    ['server imposes no context takeover and small windows', { threshold: 0 }, { threshold: 0, serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 9, clientMaxWindowBits: 9 }],
    ['client asks for everything', { threshold: 0, serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 11 }, { threshold: 0 }],
  ];
  for (const [name, client, server] of pairs) {
    it(name, async () => {
      const s = await rawServer(echo, { enableCompression: server });
      await exercise(new Dialer({ enableCompression: client }), s.url);
    });
  }

  it('goes on uncompressed when the server declines', async () => {
    const s = await rawServer(echo);
    const { conn } = await new Dialer({ enableCompression: true }).dial(s.url);
    onCleanup(() => conn.closeNow());
    expect(conn.compression).toBeNull();
    await conn.writeMessage(TextMessage, 'plain');
    expect((await conn.readMessage()).data.toString()).toBe('plain');
  });
});

describe('permessage-deflate: invalid answers fail the dial', () => {
  const answers: Array<[string, string, PerMessageDeflateOptions]> = [
    ['an unknown parameter', 'permessage-deflate; nonsense', {}],
    ['a repeated parameter', 'permessage-deflate; server_no_context_takeover; server_no_context_takeover', {}],
    ['a window out of range', 'permessage-deflate; client_max_window_bits=7', {}],
    ['client_max_window_bits with no value', 'permessage-deflate; client_max_window_bits', {}],
    ['two permessage-deflate elements', 'permessage-deflate, permessage-deflate', {}],
    ['server_no_context_takeover refused', 'permessage-deflate', { serverNoContextTakeover: true }],
  ];
  for (const [name, header, options] of answers) {
    it(`on ${name}, leaving nothing open`, async () => {
      const server = await scriptedServer(({ socket, request }) => socket.write(switching(request, [`Sec-WebSocket-Extensions: ${header}`])));
      const err = await new Dialer({ enableCompression: options }).dial(`ws://127.0.0.1:${server.port}/`).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BadHandshakeError);
      expect((err as BadHandshakeError).status).toBe(101);
      await Promise.all(server.connections.map((c) => c.closed));
    });
  }

  it('refuses an extension that was not offered (compression off)', async () => {
    const server = await scriptedServer(({ socket, request }) => socket.write(switching(request, ['Sec-WebSocket-Extensions: permessage-deflate'])));
    await expect(new Dialer().dial(`ws://127.0.0.1:${server.port}/`)).rejects.toBeInstanceOf(BadHandshakeError);
  });
});
