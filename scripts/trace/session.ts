/**
 * One traced connection: the HTTP upgrade in both directions, printed line by line as sent, then
 * (after a 101) the frames in both directions. What the inspector sees is a copy: the bytes it is
 * given are never changed, so a proxy can forward them as they are.
 */
import { parseExtensions } from '../../src/protocol/header-tokens.js';
import { type ParsedHead, RequestHeadParser, type ResponseHead, ResponseHeadParser } from '../../src/protocol/http-head.js';
import { type Direction, arrow, formatHeadLine } from './format.js';
import { FrameStream } from './frame-stream.js';
import type { OrderedOutput } from './ordered-output.js';

/** Generous limits: the inspector shows what a server might refuse, within reason. */
const HEAD_LIMITS = { maxStartLineBytes: 16 * 1024, maxHeaderBytes: 64 * 1024, maxHeaderCount: 500 };
/** Client bytes held while waiting for the server's answer; past this, the connection is not decoded. */
const MAX_EARLY_BYTES = 1024 * 1024;

export interface TraceSessionOptions {
  out: OrderedOutput;
  previewBytes: number;
  /** Put before each line, e.g. `[#3] `. */
  tag?: string;
}

type Phase = 'handshake' | 'frames' | 'passthrough';

export class TraceSession {
  private readonly options: TraceSessionOptions;
  private readonly tag: string;
  private phase: Phase = 'handshake';
  private readonly requestParser = new RequestHeadParser(HEAD_LIMITS);
  private readonly responseParser = new ResponseHeadParser(HEAD_LIMITS);
  private requestDone = false;
  private readonly requestBytes: Buffer[] = [];
  private readonly responseBytes: Buffer[] = [];
  /** Client bytes after its request head, before the server answered. */
  private early: Buffer[] = [];
  private earlyLength = 0;
  private streams: Record<Direction, FrameStream> | null = null;

  constructor(options: TraceSessionOptions) {
    this.options = options;
    this.tag = options.tag ?? '';
  }

  /** Bytes the client sent. Not modified. */
  fromClient(chunk: Buffer): void {
    if (this.phase === 'frames') return this.streams!.client.push(Buffer.from(chunk));
    if (this.phase === 'passthrough') return;
    if (this.requestDone) return this.holdEarly(chunk);
    const parsed = this.parseHead(this.requestParser, 'client', this.requestBytes, chunk);
    if (parsed === null) return;
    this.requestDone = true;
    if (parsed.rest.length > 0) this.holdEarly(parsed.rest);
  }

  /** Bytes the server sent. Not modified. */
  fromServer(chunk: Buffer): void {
    if (this.phase === 'frames') return this.streams!.server.push(Buffer.from(chunk));
    if (this.phase === 'passthrough') return;
    const parsed = this.parseHead(this.responseParser, 'server', this.responseBytes, chunk);
    if (parsed === null) return;
    if (parsed.head.status !== 101) {
      this.passThrough(`the server answered ${parsed.head.status}, not 101: not a WebSocket connection, the rest is not decoded`);
      return;
    }
    this.startFrames(parsed.head);
    if (parsed.rest.length > 0) this.streams!.server.push(Buffer.from(parsed.rest));
  }

  /** The connection closed. */
  end(): void {
    this.streams?.client.end();
    this.streams?.server.end();
  }

  private parseHead<T>(
    parser: { push(chunk: Buffer): ParsedHead<T> | null },
    from: Direction,
    held: Buffer[],
    chunk: Buffer,
  ): ParsedHead<T> | null {
    let parsed: ParsedHead<T> | null;
    try {
      parsed = parser.push(chunk);
    } catch (err) {
      this.passThrough(`${arrow(from)} not an HTTP head (${(err as Error).message}): the rest is not decoded`);
      return null;
    }
    held.push(Buffer.from(chunk.subarray(0, chunk.length - (parsed?.rest.length ?? 0))));
    if (parsed === null) return null;
    const text = Buffer.concat(held).toString('latin1');
    for (const line of text.split('\r\n').slice(0, -2)) this.print(formatHeadLine(from, line));
    held.length = 0;
    return parsed;
  }

  private holdEarly(chunk: Buffer): void {
    this.earlyLength += chunk.length;
    if (this.earlyLength > MAX_EARLY_BYTES) {
      this.passThrough(`${arrow('client')} sent over ${MAX_EARLY_BYTES} bytes before the server answered: the rest is not decoded`);
      return;
    }
    this.early.push(Buffer.from(chunk));
  }

  private startFrames(response: ResponseHead): void {
    const deflate = describeDeflate(response);
    this.print(deflate === null ? 'upgraded: no compression' : `upgraded: permessage-deflate (${deflate})`);
    const common = { previewBytes: this.options.previewBytes, deflate: deflate !== null, out: this.options.out, tag: this.tag };
    this.streams = { client: new FrameStream({ ...common, from: 'client' }), server: new FrameStream({ ...common, from: 'server' }) };
    this.phase = 'frames';
    for (const chunk of this.early) this.streams.client.push(chunk);
    this.early = [];
  }

  private passThrough(why: string): void {
    this.phase = 'passthrough';
    this.early = [];
    this.print(why);
  }

  private print(line: string): void {
    this.options.out.line(`${this.tag}${line}`);
  }
}

/** The permessage-deflate parameters the server agreed to, readably; null when it is not in use. */
export function describeDeflate(response: ResponseHead): string | null {
  const header = response.headers.get('sec-websocket-extensions');
  const element = header === undefined ? undefined : parseExtensions(header)?.find((e) => e.name === 'permessage-deflate');
  if (element === undefined) return null;
  const params = new Map(element.params);
  const side = (who: 'server' | 'client'): string => {
    const takeover = params.has(`${who}_no_context_takeover`) ? 'no context takeover' : 'context takeover';
    const bits = params.get(`${who}_max_window_bits`);
    return `${who === 'server' ? 'S→C' : 'C→S'} ${takeover}, window ${typeof bits === 'string' ? bits : '15'} bits`;
  };
  return `${side('client')}; ${side('server')}`;
}

