/** A child process's output as lines, with waiting for a line that matches. */
import type { Readable } from 'node:stream';

export class LineCollector {
  readonly lines: string[] = [];
  private partial = '';
  private waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];

  constructor(stream: Readable) {
    stream.setEncoding('utf8');
    stream.on('data', (text: string) => {
      const parts = (this.partial + text).split('\n');
      this.partial = parts.pop()!;
      for (const line of parts) this.add(line);
    });
  }

  /** The first line (seen already or to come) that matches. */
  waitFor(pattern: RegExp): Promise<string> {
    const seen = this.lines.find((l) => pattern.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ pattern, resolve }));
  }

  private add(line: string): void {
    this.lines.push(line);
    this.waiters = this.waiters.filter((w) => {
      if (!w.pattern.test(line)) return true;
      w.resolve(line);
      return false;
    });
  }
}
