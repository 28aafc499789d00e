/**
 * Resuming with `since`, against a scripted backplane so that every interleaving is chosen: live
 * messages arriving while the history is read, and the live copy of a message arriving after the
 * history already held it. The client sees each message once, in id order.
 */
import { describe, expect, it } from 'vitest';
import { type Backplane, type BackplaneReceiver, Hub, TextMessage, type TopicHistory, type TopicMessage } from '../../src/index.js';
import { deferred } from '../helpers/servers.js';
import { pairs, readTexts } from './pairs.js';

/** A backplane whose history reads wait until the test answers them. */
class ScriptedBackplane implements Backplane {
  receiver: BackplaneReceiver | null = null;
  readonly historyAsked = deferred<string>();
  readonly historyAnswer = deferred<TopicHistory>();
  attach(receiver: BackplaneReceiver): void {
    this.receiver = receiver;
  }
  async join(): Promise<void> {}
  async leave(): Promise<void> {}
  async publish(): Promise<boolean> {
    return false;
  }
  history(_topic: string, since: string): Promise<TopicHistory> {
    this.historyAsked.resolve(since);
    return this.historyAnswer.promise;
  }
  live(id: string): void {
    this.receiver!(message(id), '');
  }
}

const message = (id: string): TopicMessage => ({ topic: 't', id, type: TextMessage, data: Buffer.from(`m${id}`) });
const encode = (m: TopicMessage): Buffer => m.data;

describe('Hub: resuming from an id', () => {
  it('history first, then the live messages it did not hold, then live copies of replayed ones are dropped', async () => {
    const backplane = new ScriptedBackplane();
    const hub = new Hub({ backplane, encode });
    const p = await pairs();
    const a = await p.connect();
    const subscribed = hub.subscribe(a.server, 't', { since: '1-0' });
    expect(await backplane.historyAsked.promise).toBe('1-0');
    backplane.live('4-0'); // arrives while the history is read
    backplane.historyAnswer.resolve({ messages: [message('2-0'), message('3-0'), message('4-0')], missed: false });
    expect(await subscribed).toEqual({ replayed: 3, missed: false });
    backplane.live('3-0'); // a live copy that lagged behind the history read
    backplane.live('4-0');
    backplane.live('5-0'); // the first message after the replay
    expect(await readTexts(a.client, 4)).toEqual(['m2-0', 'm3-0', 'm4-0', 'm5-0']);
  });

  it('reports `missed` from the history, and a failed history read as missed', async () => {
    const backplane = new ScriptedBackplane();
    const hub = new Hub({ backplane, encode });
    const p = await pairs();
    const a = await p.connect();
    const subscribed = hub.subscribe(a.server, 't', { since: '1-0' });
    await backplane.historyAsked.promise;
    backplane.historyAnswer.reject(new Error('Redis went away'));
    expect(await subscribed).toEqual({ replayed: 0, missed: true });
    backplane.live('9-0');
    expect(await readTexts(a.client, 1)).toEqual(['m9-0']);
  });
});
