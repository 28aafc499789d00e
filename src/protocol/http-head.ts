/**
 * An incremental parser for the head of an HTTP/1.1 message (RFC 9112 §2–§5): the start line,
 * the header lines and the empty line that ends them. The server uses it for the upgrade request,
 * the client for the server's response. Whatever follows the head is returned untouched: it is
 * the first WebSocket bytes.
 *
 * Each byte is examined once, however the head is split across chunks, so a head dribbled in one
 * byte at a time costs the same as one sent whole (no re-scan of what was already seen). Explicit
 * limits bound the work and the memory before anything is interpreted.
 */
import { Buffer } from 'node:buffer';
import { HandshakeError } from './errors.js';
import { HttpHeaders } from './headers.js';
import { isTokenChar } from './header-tokens.js';

/**
 * Limits on an HTTP head, checked before anything is interpreted (the request for `Upgrader`, the
 * response for `Dialer`).
 */
export interface HeadLimits {
  /** Longest request or status line, in bytes (414 for a request). Default 8 KiB. */
  maxStartLineBytes?: number;
  /** Longest head in all, start line and headers, in bytes (431). Default 16 KiB. */
  maxHeaderBytes?: number;
  /** Most header lines (431). Default 100. */
  maxHeaderCount?: number;
}

/** The default {@link HeadLimits}: 8 KiB start line, 16 KiB head, 100 header lines. */
export const DEFAULT_HEAD_LIMITS: Required<HeadLimits> = {
  maxStartLineBytes: 8 * 1024,
  maxHeaderBytes: 16 * 1024,
  maxHeaderCount: 100,
};

/** A parsed request head. */
export interface RequestHead {
  /** The method, e.g. `GET`. */
  method: string;
  /** The request-target exactly as sent, e.g. `/chat?room=1`. */
  target: string;
  /** The major HTTP version: 1. */
  versionMajor: number;
  /** The minor HTTP version: 1 for HTTP/1.1. */
  versionMinor: number;
  /** The header fields. */
  headers: HttpHeaders;
}

/** A parsed response head. */
export interface ResponseHead {
  /** The major HTTP version: 1. */
  versionMajor: number;
  /** The minor HTTP version: 1 for HTTP/1.1. */
  versionMinor: number;
  /** The status code, e.g. 101. */
  status: number;
  /** The reason phrase, e.g. `Switching Protocols` (may be empty). */
  reason: string;
  /** The header fields. */
  headers: HttpHeaders;
}

/** A complete head and what came after it. */
export interface ParsedHead<T> {
  /** The head. */
  head: T;
  /** Bytes that followed the head in the last chunk (a view of it). */
  rest: Buffer;
}

/** A malformed head. `status` is what a server answers (400, 414, 431). */
export class HeadParseError extends HandshakeError {
  /** Always `'HeadParseError'`. */
  override name = 'HeadParseError';
}

abstract class HeadParser<T> {
  private readonly limits: Required<HeadLimits>;
  private buffer: Buffer = Buffer.allocUnsafe(0);
  private filled = 0;
  /** Where the current, unfinished line starts. */
  private lineStart = 0;
  private startLineSeen = false;
  private done = false;
  private examined = 0;
  protected readonly headers = new HttpHeaders();

  constructor(limits: HeadLimits = {}) {
    this.limits = { ...DEFAULT_HEAD_LIMITS, ...definedOnly(limits) };
  }

  /**
   * Feeds the next chunk. Returns the head and the bytes after it once the empty line has been
   * seen, null while more bytes are needed. Throws a {@link HeadParseError}.
   */
  push(chunk: Buffer): ParsedHead<T> | null {
    if (this.done) throw new Error('the head is already complete');
    const chunkStart = this.filled;
    // Never hold more than the limit: a head that does not end within it is refused anyway.
    const take = Math.min(chunk.length, this.limits.maxHeaderBytes - this.filled);
    this.append(chunk, take);
    // Bytes before chunkStart were scanned already; only the new ones are looked at.
    for (let i = chunkStart; i < this.filled; i++) {
      this.examined++;
      if (this.buffer[i] !== 0x0a) continue;
      if (i === this.lineStart || this.buffer[i - 1] !== 0x0d) throw new HeadParseError(400, 'header line not ended by CRLF');
      const start = this.lineStart;
      const end = i - 1;
      this.lineStart = i + 1;
      if (!this.startLineSeen) {
        this.checkStartLineLength(end - start);
        this.startLineSeen = true;
        this.parseStartLine(this.line(start, end));
      } else if (end === start) {
        this.done = true;
        return { head: this.finish(), rest: chunk.subarray(this.lineStart - chunkStart) };
      } else {
        this.parseHeaderLine(start, end);
      }
    }
    // Refuse an unfinished line as soon as it is longer than the limits allow (a CR may be pending).
    if (!this.startLineSeen) this.checkStartLineLength(this.filled - this.lineStart - 1);
    if (this.filled >= this.limits.maxHeaderBytes) throw new HeadParseError(431, 'request header fields too large');
    return null;
  }

  /** How many bytes the line scanner has looked at: once each, however the head was split. */
  get bytesExamined(): number {
    return this.examined;
  }

  protected abstract parseStartLine(line: string): void;
  protected abstract finish(): T;
  /** The status to answer for a start line that is too long. */
  protected abstract readonly longStartLineStatus: number;

  private checkStartLineLength(length: number): void {
    if (length > this.limits.maxStartLineBytes) {
      throw new HeadParseError(this.longStartLineStatus, 'start line too long');
    }
  }

  private append(chunk: Buffer, take: number): void {
    if (take === 0) return;
    if (this.filled + take > this.buffer.length) {
      const size = Math.min(Math.max(this.buffer.length * 2, this.filled + take, 1024), this.limits.maxHeaderBytes);
      const grown = Buffer.allocUnsafe(size);
      this.buffer.copy(grown, 0, 0, this.filled);
      this.buffer = grown;
    }
    chunk.copy(this.buffer, this.filled, 0, take);
    this.filled += take;
  }

  /** A line's text; rejects bytes no HTTP line may hold (CTLs other than HTAB, a lone CR). */
  private line(start: number, end: number): string {
    for (let i = start; i < end; i++) {
      const c = this.buffer[i]!;
      if ((c < 0x20 && c !== 0x09) || c === 0x7f) throw new HeadParseError(400, 'control character in head');
    }
    return this.buffer.toString('latin1', start, end);
  }

  private parseHeaderLine(start: number, end: number): void {
    const first = this.buffer[start]!;
    // RFC 9112 §5.2: obsolete line folding is refused.
    if (first === 0x20 || first === 0x09) throw new HeadParseError(400, 'obsolete header line folding');
    if (this.headers.size >= this.limits.maxHeaderCount) throw new HeadParseError(431, 'too many header fields');
    let colon = start;
    while (colon < end && isTokenChar(this.buffer[colon]!)) colon++;
    // RFC 9112 §5.1: no whitespace between the field name and the colon.
    if (colon === start || colon === end || this.buffer[colon] !== 0x3a) throw new HeadParseError(400, 'malformed header line');
    const name = this.buffer.toString('latin1', start, colon);
    let valueStart = colon + 1;
    let valueEnd = end;
    while (valueStart < valueEnd && isOws(this.buffer[valueStart]!)) valueStart++;
    while (valueEnd > valueStart && isOws(this.buffer[valueEnd - 1]!)) valueEnd--;
    this.headers.append(name, this.line(valueStart, valueEnd));
  }
}

function isOws(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

function definedOnly(limits: HeadLimits): HeadLimits {
  const out: HeadLimits = {};
  if (limits.maxStartLineBytes !== undefined) out.maxStartLineBytes = limits.maxStartLineBytes;
  if (limits.maxHeaderBytes !== undefined) out.maxHeaderBytes = limits.maxHeaderBytes;
  if (limits.maxHeaderCount !== undefined) out.maxHeaderCount = limits.maxHeaderCount;
  return out;
}

/** Parses `HTTP/x.y`; returns null when malformed. */
function parseVersion(text: string): [number, number] | null {
  if (text.length !== 8 || !text.startsWith('HTTP/') || text[6] !== '.') return null;
  const major = text.charCodeAt(5) - 0x30;
  const minor = text.charCodeAt(7) - 0x30;
  if (major < 0 || major > 9 || minor < 0 || minor > 9) return null;
  return [major, minor];
}

/** Parses the request a client sends to open a WebSocket (server side). */
export class RequestHeadParser extends HeadParser<RequestHead> {
  protected readonly longStartLineStatus = 414;
  private method = '';
  private target = '';
  private version: [number, number] = [0, 0];

  protected parseStartLine(line: string): void {
    // request-line = method SP request-target SP HTTP-version (RFC 9112 §3)
    const firstSpace = line.indexOf(' ');
    const lastSpace = line.lastIndexOf(' ');
    if (firstSpace <= 0 || lastSpace === firstSpace) throw new HeadParseError(400, 'malformed request line');
    const method = line.slice(0, firstSpace);
    const target = line.slice(firstSpace + 1, lastSpace);
    const version = parseVersion(line.slice(lastSpace + 1));
    for (let i = 0; i < method.length; i++) {
      if (!isTokenChar(method.charCodeAt(i))) throw new HeadParseError(400, 'malformed request method');
    }
    if (target.length === 0 || target.includes(' ') || target.includes('\t')) throw new HeadParseError(400, 'malformed request target');
    if (version === null) throw new HeadParseError(400, 'malformed HTTP version');
    // The common method as the one shared string: a connection keeps its request's method.
    this.method = method === 'GET' ? 'GET' : method;
    this.target = target;
    this.version = version;
  }

  protected finish(): RequestHead {
    return {
      method: this.method,
      target: this.target,
      versionMajor: this.version[0],
      versionMinor: this.version[1],
      headers: this.headers,
    };
  }
}

/** Parses the server's answer to an opening handshake (client side). */
export class ResponseHeadParser extends HeadParser<ResponseHead> {
  protected readonly longStartLineStatus = 400;
  private status = 0;
  private reason = '';
  private version: [number, number] = [0, 0];

  protected parseStartLine(line: string): void {
    // status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 §4)
    const version = parseVersion(line.slice(0, 8));
    const code = line.slice(9, 12);
    if (version === null || line[8] !== ' ' || !/^[1-5][0-9][0-9]$/.test(code) || (line.length > 12 && line[12] !== ' ')) {
      throw new HeadParseError(400, 'malformed status line');
    }
    this.version = version;
    this.status = Number(code);
    this.reason = line.slice(13);
  }

  protected finish(): ResponseHead {
    return {
      versionMajor: this.version[0],
      versionMinor: this.version[1],
      status: this.status,
      reason: this.reason,
      headers: this.headers,
    };
  }
}
