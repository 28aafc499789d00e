/**
 * The chat room on the library's `Hub`: one topic, every line published to it, framed once per
 * process. With a backplane (Redis), the room spans processes, and each message carries its id so
 * that a page that reconnects, to any process, resumes from the last one it saw.
 */
import { type Backplane, type Conn, Hub, TextMessage, type TopicMessage } from '../../src/index.js';
import { NameRegistry } from './names.js';
import type { ServerMessage } from './protocol.js';

export const ROOM_TOPIC = 'chat:lobby';

export interface Member {
  readonly name: string;
  readonly conn: Conn;
}

export class ChatRoom {
  readonly hub: Hub;
  private readonly members = new Map<Conn, Member>();
  private readonly registry = new NameRegistry();

  constructor(backplane?: Backplane) {
    // A member too slow to keep up is closed with 1008 (the hub's default policy).
    this.hub = new Hub({ encode: withId, ...(backplane === undefined ? {} : { backplane }) });
  }

  /**
   * Adds `conn` under (a cleaned-up, unique form of) `requestedName`, welcomes it, replays what it
   * missed after message `since` (when it is resuming), and tells the others.
   */
  async join(conn: Conn, requestedName: string, since?: string): Promise<Member> {
    if (this.members.has(conn)) throw new Error('this connection has joined already');
    const member: Member = { name: this.registry.claim(requestedName), conn };
    this.members.set(conn, member);
    void conn.writeJSON(welcome(member.name, this.names())).catch(() => {});
    const { missed } = await this.hub.subscribe(conn, ROOM_TOPIC, since === undefined ? {} : { since });
    if (since !== undefined && missed) void conn.writeJSON({ type: 'missed' } satisfies ServerMessage).catch(() => {});
    await this.publish({ type: 'joined', name: member.name }, conn);
    return member;
  }

  /** Sends a member's line to everyone, the sender included. */
  say(member: Member, text: string): Promise<void> {
    return this.publish({ type: 'message', from: member.name, text, at: Date.now() });
  }

  /** Removes a member (it is fine to call twice) and tells the others. */
  async leave(member: Member): Promise<void> {
    if (this.members.get(member.conn) === undefined) return;
    this.members.delete(member.conn);
    this.registry.release(member.name);
    this.hub.unsubscribe(member.conn, ROOM_TOPIC);
    await this.publish({ type: 'left', name: member.name });
  }

  /** The names of the members connected to this process, in the order they joined. */
  names(): string[] {
    return [...this.members.values()].map((m) => m.name);
  }

  get size(): number {
    return this.members.size;
  }

  private publish(message: ServerMessage, except?: Conn): Promise<void> {
    return this.hub.publish(ROOM_TOPIC, TextMessage, JSON.stringify(message), except === undefined ? {} : { except });
  }
}

/** Puts the message's id first in its JSON object, for the page to resume from. */
function withId(message: TopicMessage): Buffer {
  if (message.id === null) return message.data;
  return Buffer.concat([Buffer.from(`{"id":${JSON.stringify(message.id)},`), message.data.subarray(1)]);
}

function welcome(name: string, users: string[]): ServerMessage {
  return { type: 'welcome', name, users };
}
