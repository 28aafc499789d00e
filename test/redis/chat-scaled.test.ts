/**
 * The chat scaled out: three chat processes (child processes) sharing the room through a real
 * Redis. Every message reaches every member exactly once, in each publisher's order; a process
 * killed with SIGKILL mid-run costs its members nothing once they resume on another process; Redis
 * restarted mid-run: the gap is reported, and what was said meanwhile reaches everyone, in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChatProcess, ChatMember, sequence, startChatProcess } from './chat-processes.js';
import { type RedisServer, skipRedisTests, startRedis } from './redis-server.js';

describe.skipIf(skipRedisTests)('the chat on three processes and Redis', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  /** The first member on each process hears its own line back: the process's Redis subscription is live. */
  async function firstMembers(processes: ChatProcess[], prefix: string): Promise<ChatMember[]> {
    const firsts: ChatMember[] = [];
    for (const [i, p] of processes.entries()) {
      const member = await ChatMember.join(p.port, `${prefix}${i}`);
      await member.say(`sync-${prefix}${i}:0`);
      await member.until(() => member.hasAll(`sync-${prefix}${i}`, 1));
      firsts.push(member);
    }
    return firsts;
  }

  it('300 members over 3 processes: every message to every member exactly once, in per-publisher order', async () => {
    const processes = await Promise.all([0, 1, 2].map(() => startChatProcess(redis.url)));
    const members = await firstMembers(processes, 'first');
    const joining: Array<Promise<ChatMember>> = [];
    for (let i = members.length; i < 300; i++) joining.push(ChatMember.join(processes[i % 3]!.port, `m${i}`));
    members.push(...(await Promise.all(joining)));

    const publishers = members.slice(0, 30);
    const perPublisher = 10;
    await Promise.all(publishers.flatMap((m) => sequence(perPublisher).map((seq) => m.say(`${m.name}:${seq}`))));
    const everything = (m: ChatMember): boolean => publishers.every((p) => m.hasAll(p.name, perPublisher));
    await Promise.all(members.map((m) => m.until(() => everything(m))));
    for (const member of members) {
      for (const publisher of publishers) expect(member.received.get(publisher.name)).toEqual(sequence(perPublisher));
    }
  }, 120_000);

  it('a process killed with SIGKILL mid-run: its members resume elsewhere and miss nothing', async () => {
    const processes = await Promise.all([0, 1, 2].map(() => startChatProcess(redis.url)));
    const members = await firstMembers(processes, 'k');
    for (let i = members.length; i < 30; i++) members.push(await ChatMember.join(processes[i % 3]!.port, `k${i}`));
    const victims = members.filter((_, i) => i % 3 === 2);
    // Publishers on the two processes that live; each waits for its own line before the next.
    const publishers = members.filter((_, i) => i % 3 !== 2).slice(0, 4);
    const count = 60;
    let published = 0;
    let killed: Promise<void> | null = null;
    const publishing = publishers.map(async (publisher) => {
      for (const seq of sequence(count)) {
        await publisher.say(`${publisher.name}:${seq}`);
        await publisher.until(() => publisher.hasAll(publisher.name, seq + 1));
        if (++published === 60) killed = kill(processes[2]!);
      }
    });
    const kill = async (p: ChatProcess): Promise<void> => {
      p.child.kill('SIGKILL');
      await p.exited;
      await Promise.all(victims.map((v) => v.ended));
      // They come back on the first process, each with the last id it saw.
      await Promise.all(victims.map((v) => v.connect(processes[0]!.port)));
    };
    await Promise.all(publishing);
    expect(killed).not.toBeNull();
    await killed;
    const everything = (m: ChatMember): boolean => publishers.every((p) => m.hasAll(p.name, count));
    await Promise.all(members.map((m) => m.until(() => everything(m))));
    for (const member of members) {
      for (const publisher of publishers) expect(member.received.get(publisher.name), member.log.join('\n')).toEqual(sequence(count));
      expect(member.missedNotices).toBe(0);
    }
  }, 120_000);

  it('Redis restarted mid-run: delivery resumes, the gap is reported and filled, in order, once', async () => {
    const own = await startRedis(); // this test restarts it: its own, not the one the others share
    try {
      const processes = await Promise.all([0, 1, 2].map(() => startChatProcess(own.url)));
      const members = await firstMembers(processes, 'r');
      for (let i = members.length; i < 15; i++) members.push(await ChatMember.join(processes[i % 3]!.port, `r${i}`));
      const publishers = members.slice(0, 3); // one on each process
      let next = 0;
      /** Each publisher says its next `n` lines; resolves when each has heard its own back. */
      const publish = async (n: number): Promise<void> => {
        const from = next;
        next += n;
        await Promise.all(
          publishers.map(async (p) => {
            for (let seq = from; seq < next; seq++) await p.say(`${p.name}:${seq}`);
            await p.until(() => p.hasAll(p.name, next));
          }),
        );
      };
      await publish(10);
      let step = 'killing Redis';
      const diagnosis = setTimeout(() => {
        // Not a wait: on a hang, say where, before the test times out.
        console.error(`stuck at: ${step}\n${processes.map((p) => p.output()).join('\n---\n')}`);
        for (const m of members) console.error(m.name, [...m.received].map(([k, v]) => `${k}:${v.length}`).join(' '));
      }, 100_000);
      try {
        await own.kill();
        step = 'waiting for every process to see Redis go';
        await Promise.all(processes.map((p) => p.printed(/Redis unreachable/)));
        step = 'publishing during the outage';
        await publish(10); // heard locally only, for now
        await own.restart();
        step = 'waiting for every process to report the gap';
        await Promise.all(processes.map((p) => p.printed(/Redis back after \d+ ms/)));
        step = 'publishing after the restart';
        await publish(10);
        step = 'waiting for every member to have everything';
        const everything = (m: ChatMember): boolean => publishers.every((p) => m.hasAll(p.name, next));
        await Promise.all(members.map((m) => m.until(() => everything(m))));
      } finally {
        clearTimeout(diagnosis);
      }
      for (const member of members) {
        for (const publisher of publishers) expect(member.received.get(publisher.name), member.log.join('\n')).toEqual(sequence(next));
      }
    } finally {
      await own.stop();
    }
  }, 120_000);
});
