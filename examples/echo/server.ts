/**
 * The classic first program, on node:http: `/` serves a page whose script opens `/ws`; the server
 * greets each new connection and echoes every message back.
 *
 *   PORT=8080 npx tsx examples/echo/server.ts
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { TextMessage, Upgrader } from '../../src/index.js';

const page = readFileSync(new URL('./index.html', import.meta.url));

export async function startEchoServer(port: number, host = '127.0.0.1'): Promise<{ server: Server; url: string }> {
  const upgrader = new Upgrader();
  const server = createServer((req, res) => {
    if (req.url === '/' || req.url === '/index.html') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(page);
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found\n');
  });
  server.on('upgrade', (req, socket, head) => {
    if (req.url !== '/ws') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    // No try/catch: a failed handshake is answered, a client that leaves ends the loop, and the
    // connection is closed when the handler returns.
    upgrader.handleUpgrade(req, socket, head, async (conn) => {
      await conn.writeMessage(TextMessage, 'Welcome! Everything you send comes back.');
      for await (const { type, data } of conn) await conn.writeMessage(type, data);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const address = server.address() as AddressInfo;
  return { server, url: `http://${host}:${address.port}/` };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { url } = await startEchoServer(Number(process.env.PORT ?? 8080), process.env.HOST ?? '127.0.0.1');
  console.log(`echo demo: open ${url}`);
}
