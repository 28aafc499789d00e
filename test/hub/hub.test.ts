/**
 * The Hub in one process over real connections: topics, publish with `except`, membership that
 * follows connections closing, counts and listings, compression, `encode`, and bad arguments.
 */
import { describe, expect, it } from 'vitest';
import { BinaryMessage, Dialer, Hub, TextMessage } from '../../src/index.js';
import { pairs, readTexts } from './pairs.js';

describe('Hub', () => {
  it('delivers a publish to the subscribers of its topic only, each once', async () => {
    const hub = new Hub();
    const p = await pairs();
    const a = await p.connect();
    const b = await p.connect();
    const c = await p.connect();
    await hub.subscribe(a.server, 'news');
    await hub.subscribe(b.server, 'news');
    await hub.subscribe(b.server, 'news'); // twice is once
    await hub.subscribe(c.server, 'sport');
    await hub.publish('news', TextMessage, 'n1');
    await hub.publish('sport', TextMessage, 's1');
    await hub.publish('news', BinaryMessage, Buffer.from([1, 2, 3]));
    expect(await readTexts(a.client, 1)).toEqual(['n1']);
    expect(await b.client.readMessage()).toMatchObject({ type: TextMessage, data: Buffer.from('n1') });
    expect(await b.client.readMessage()).toMatchObject({ type: BinaryMessage, data: Buffer.from([1, 2, 3]) });
    expect(await readTexts(c.client, 1)).toEqual(['s1']);
    expect(hub.stats).toMatchObject({ published: 3, delivered: 5 });
  });

  it('leaves out the `except` connection', async () => {
    const hub = new Hub();
    const p = await pairs();
    const a = await p.connect();
    const b = await p.connect();
    await hub.subscribe(a.server, 't');
    await hub.subscribe(b.server, 't');
    await hub.publish('t', TextMessage, 'from a', { except: a.server });
    await hub.publish('t', TextMessage, 'to all');
    expect(await readTexts(a.client, 1)).toEqual(['to all']);
    expect(await readTexts(b.client, 2)).toEqual(['from a', 'to all']);
  });

  it('counts and lists members; a closed connection leaves its topics by itself', async () => {
    const hub = new Hub();
    const p = await pairs();
    const a = await p.connect();
    const b = await p.connect();
    await hub.subscribe(a.server, 'x');
    await hub.subscribe(a.server, 'y');
    await hub.subscribe(b.server, 'x');
    expect(hub.subscriberCount('x')).toBe(2);
    expect(hub.subscribers('x')).toEqual([a.server, b.server]);
    expect(hub.topics()).toEqual(['x', 'y']);
    expect(hub.topicsOf(a.server)).toEqual(['x', 'y']);
    expect(hub.unsubscribe(b.server, 'x')).toBe(true);
    expect(hub.unsubscribe(b.server, 'x')).toBe(false);
    a.client.closeNow();
    await a.server.closed;
    await expect.poll(() => hub.topics()).toEqual([]);
    expect(hub.subscriberCount('x')).toBe(0);
    expect(hub.topicsOf(a.server)).toEqual([]);
  });

  it('frames through `encode`, once per message, and compresses for deflate peers', async () => {
    let encoded = 0;
    const hub = new Hub({
      encode: (m) => {
        encoded++;
        return `${m.topic}:${m.data.toString()}`;
      },
    });
    const p = await pairs({ enableCompression: true });
    const plain = await p.connect();
    const deflate = await p.connect(new Dialer({ enableCompression: true }));
    expect(deflate.server.compression).not.toBeNull();
    await hub.subscribe(plain.server, 't');
    await hub.subscribe(deflate.server, 't');
    const long = 'x'.repeat(5000);
    await hub.publish('t', TextMessage, long);
    expect(await readTexts(plain.client, 1)).toEqual([`t:${long}`]);
    expect(await readTexts(deflate.client, 1)).toEqual([`t:${long}`]);
    expect(encoded).toBe(1);
  });

  it('reports an `encode` that throws and carries on', async () => {
    const errors: unknown[] = [];
    const hub = new Hub({
      encode: (m) => {
        if (m.data.toString() === 'bad') throw new Error('cannot encode');
        return m.data;
      },
      onError: (e) => errors.push(e),
    });
    const p = await pairs();
    const a = await p.connect();
    await hub.subscribe(a.server, 't');
    await hub.publish('t', TextMessage, 'bad');
    await hub.publish('t', TextMessage, 'good');
    expect(await readTexts(a.client, 1)).toEqual(['good']);
    expect(errors).toHaveLength(1);
  });

  it('refuses topics that are not short non-empty strings', async () => {
    const hub = new Hub();
    const p = await pairs();
    const a = await p.connect();
    expect(() => hub.subscribe(a.server, '')).toThrow(TypeError);
    expect(() => hub.subscribe(a.server, 'x'.repeat(1025))).toThrow(TypeError);
    await expect(hub.publish('', TextMessage, 'x')).rejects.toThrow(TypeError);
  });

  it('with `since` but no backplane, subscribes and says that history is unavailable', async () => {
    const hub = new Hub();
    const p = await pairs();
    const a = await p.connect();
    expect(await hub.subscribe(a.server, 't', { since: '1-0' })).toEqual({ replayed: 0, missed: true });
    await hub.publish('t', TextMessage, 'live');
    expect(await readTexts(a.client, 1)).toEqual(['live']);
  });
});
