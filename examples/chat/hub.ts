/**
 * The chat room: who is in it, and broadcasting to all of them. Each broadcast is framed once, as a
 * `PreparedMessage`, whatever the number of members (and compressed once per compression setting
 * when the members' connections compress without context takeover).
 */
import { type Conn, ClosePolicyViolation, PreparedMessage, TextMessage } from '../../src/index.js';
import { NameRegistry } from './names.js';
import type { ServerMessage } from './protocol.js';

/**
 * Messages a member may have in flight before it counts as too slow to keep up and is dropped
 * (as gorilla's chat example drops a client whose send buffer is full). One stalled reader must
 * not make the server hold every later message for it.
 */
export const MAX_PENDING_MESSAGES = 256;

export interface Member {
  readonly name: string;
  readonly conn: Conn;
}

interface MemberState extends Member {
  pending: number;
}

export class Hub {
  private readonly members = new Map<Conn, MemberState>();
  private readonly registry = new NameRegistry();

  /** Adds `conn` under (a cleaned-up, unique form of) `requestedName`; welcomes it and tells the others. */
  join(conn: Conn, requestedName: string): Member {
    if (this.members.has(conn)) throw new Error('this connection has joined already');
    const member: MemberState = { name: this.registry.claim(requestedName), conn, pending: 0 };
    this.broadcast({ type: 'joined', name: member.name });
    this.members.set(conn, member);
    this.send(member, new PreparedMessage(TextMessage, JSON.stringify(welcome(member.name, this.names()))));
    return member;
  }

  /** Sends a member's line to everyone, the sender included. */
  say(member: Member, text: string): void {
    this.broadcast({ type: 'message', from: member.name, text, at: Date.now() });
  }

  /** Removes a member (it is fine to call twice) and tells the others. */
  leave(member: Member): void {
    if (this.members.get(member.conn) === undefined) return;
    this.members.delete(member.conn);
    this.registry.release(member.name);
    this.broadcast({ type: 'left', name: member.name });
  }

  /** The members' names, in the order they joined. */
  names(): string[] {
    return [...this.members.values()].map((m) => m.name);
  }

  get size(): number {
    return this.members.size;
  }

  private broadcast(message: ServerMessage): void {
    if (this.members.size === 0) return;
    const prepared = new PreparedMessage(TextMessage, JSON.stringify(message));
    for (const member of this.members.values()) this.send(member, prepared);
  }

  private send(member: MemberState, prepared: PreparedMessage): void {
    if (member.pending >= MAX_PENDING_MESSAGES) {
      this.members.delete(member.conn);
      this.registry.release(member.name);
      void member.conn.close(ClosePolicyViolation, 'too slow to keep up').catch(() => member.conn.closeNow());
      this.broadcast({ type: 'left', name: member.name });
      return;
    }
    member.pending++;
    member.conn.writePreparedMessage(prepared).then(
      () => member.pending--,
      () => member.pending--, // the connection is closing; its read loop sees that and leaves
    );
  }
}

function welcome(name: string, users: string[]): ServerMessage {
  return { type: 'welcome', name, users };
}
