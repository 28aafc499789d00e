/**
 * Framing rules broken on the wire by a raw client; the server must answer with the close code
 * the RFC names and then close the TCP connection.
 */
import { describe, expect, it } from 'vitest';
import { RawClient } from '../helpers/raw-client.js';
import { echo, onCleanup, rawServer } from '../helpers/servers.js';
import { encodeWireFrame } from '../helpers/wire/encode.js';

async function openClient(options = {}): Promise<RawClient> {
  const server = await rawServer(echo, options);
  const client = await RawClient.open(server.port);
  onCleanup(() => client.destroy());
  return client;
}

const violations: Array<[string, (c: RawClient) => void, number]> = [
  ['an unmasked frame (§5.1)', (c) => c.write(encodeWireFrame({ opcode: 1, payload: Buffer.from('x') })), 1002],
  ['RSV1 without an extension (§5.2)', (c) => c.send({ opcode: 1, rsv1: true, payload: Buffer.from('x') }), 1002],
  ['RSV2 (§5.2)', (c) => c.send({ opcode: 2, rsv2: true }), 1002],
  ['RSV3 (§5.2)', (c) => c.send({ opcode: 2, rsv3: true }), 1002],
  ['reserved data opcode 0x3 (§5.2)', (c) => c.send({ opcode: 3 }), 1002],
  ['reserved control opcode 0xB (§5.2)', (c) => c.send({ opcode: 0xb }), 1002],
  ['a ping with 126 bytes (§5.5)', (c) => c.send({ opcode: 9, payload: Buffer.alloc(126) }), 1002],
  ['a fragmented ping (§5.5)', (c) => c.send({ opcode: 9, fin: false }), 1002],
  ['a continuation with nothing to continue (§5.4)', (c) => c.send({ opcode: 0, payload: Buffer.from('x') }), 1002],
  [
    'a new message inside a fragmented one (§5.4)',
    (c) => {
      c.send({ opcode: 1, fin: false, payload: Buffer.from('a') });
      c.send({ opcode: 1, payload: Buffer.from('b') });
    },
    1002,
  ],
  ['invalid UTF-8 in a text message (§8.1)', (c) => c.send({ opcode: 1, payload: Buffer.from([0xce, 0xba, 0xed, 0xa0, 0x80]) }), 1007],
  ['a close frame with 1 byte of payload (§5.5.1)', (c) => c.send({ opcode: 8, payload: Buffer.from([1]) }), 1002],
  ['a close frame with code 1005 (§7.4.1)', (c) => c.send({ opcode: 8, payload: Buffer.from([0x03, 0xed]) }), 1002],
  ['a close reason that is not UTF-8 (§5.5.1)', (c) => c.send({ opcode: 8, payload: Buffer.from([0x03, 0xe8, 0xff]) }), 1007],
  ['a 64-bit length with the top bit set (§5.2)', (c) => c.write(Buffer.from('82ff8000000000000000aabbccdd', 'hex')), 1002],
];

describe('framing rules on the wire', () => {
  for (const [name, act, code] of violations) {
    it(`fails ${name} with ${code} and closes TCP`, async () => {
      const client = await openClient();
      act(client);
      expect(await client.closeCode()).toBe(code);
      await client.waitClosed();
    });
  }

  it('fails invalid UTF-8 as soon as the bad fragment arrives, before the message ends', async () => {
    const client = await openClient();
    client.send({ opcode: 1, fin: false, payload: Buffer.from('valid so far ') });
    client.send({ opcode: 0, fin: false, payload: Buffer.from([0xf4, 0x90, 0x80, 0x80]) });
    // The final fragment is never sent: the close must come anyway.
    expect(await client.closeCode()).toBe(1007);
  });

  it('fails a frame over the read limit with 1009 before its payload arrives', async () => {
    const client = await openClient({ readLimit: 1000 });
    client.write(encodeWireFrame({ opcode: 2, payload: Buffer.alloc(1001), maskKey: Buffer.from([0, 0, 0, 1]) }).subarray(0, 8)); // header only
    expect(await client.closeCode()).toBe(1009);
  });

  it('fails a 64-bit length just above the read limit with 1009, without waiting for data', async () => {
    const client = await openClient({ readLimit: 1 << 20 });
    const header = Buffer.from('82ff' + (2 ** 20 + 1).toString(16).padStart(16, '0') + '01020304', 'hex');
    client.write(header);
    expect(await client.closeCode()).toBe(1009);
  });

  it('counts fragments against the read limit', async () => {
    const client = await openClient({ readLimit: 100 });
    client.send({ opcode: 2, fin: false, payload: Buffer.alloc(60) });
    client.send({ opcode: 0, payload: Buffer.alloc(60) });
    expect(await client.closeCode()).toBe(1009);
  });

  it('processes control frames between fragments and answers pings in order', async () => {
    const client = await openClient();
    client.send({ opcode: 1, fin: false, payload: Buffer.from('Hello, ') });
    for (let i = 0; i < 10; i++) client.send({ opcode: 9, payload: Buffer.from(`ping ${i}`) });
    client.send({ opcode: 0, payload: Buffer.from('world') });
    for (let i = 0; i < 10; i++) {
      const pong = await client.nextFrame();
      expect(pong.opcode).toBe(10);
      expect(pong.payload.toString()).toBe(`ping ${i}`);
    }
    const echoed = await client.nextFrame();
    expect(echoed).toMatchObject({ opcode: 1, fin: true, masked: false });
    expect(echoed.payload.toString()).toBe('Hello, world');
  });

  it('answers a close frame with the same code and then closes TCP first (§7.1.1)', async () => {
    const client = await openClient();
    client.send({ opcode: 8, payload: Buffer.from([0x0f, 0xa0, 0x62, 0x79, 0x65]) }); // 4000 "bye"
    expect(await client.closeCode()).toBe(4000);
    await client.waitClosed();
    expect(client.ended).toBe(true); // the server sent FIN
  });

  it('ignores data sent after the close frame', async () => {
    const client = await openClient();
    client.send({ opcode: 8 });
    client.send({ opcode: 1, payload: Buffer.from('after close') });
    const frame = await client.nextFrame();
    expect(frame.opcode).toBe(8);
    expect(frame.payload.length).toBe(0);
    await client.waitClosed();
  });

  it('handles frames split into 1-byte TCP writes', async () => {
    const client = await openClient();
    const frame = encodeWireFrame({ opcode: 1, payload: Buffer.from('chopped'), maskKey: Buffer.from([0x11, 0x22, 0x33, 0x44]) });
    await client.writeSlowly(frame);
    expect((await client.nextFrame()).payload.toString()).toBe('chopped');
  });
});
