/**
 * Lines in the order things happened, when some of them are known only later: a compressed
 * message's inflated preview is computed by zlib off the event loop, so its line is reserved when
 * the message ends, and lines after it wait until it is filled in.
 */
export class OrderedOutput {
  private readonly write: (line: string) => void;
  private readonly queue: Array<{ text: string | null }> = [];

  constructor(write: (line: string) => void) {
    this.write = write;
  }

  /** Prints `text` after every line before it. */
  line(text: string): void {
    this.queue.push({ text });
    this.drain();
  }

  /** Holds a place for a line; the returned function fills it in (once: later calls do nothing). */
  reserve(): (text: string) => void {
    const slot: { text: string | null } = { text: null };
    this.queue.push(slot);
    return (text) => {
      if (slot.text !== null) return;
      slot.text = text;
      this.drain();
    };
  }

  /** Lines waiting behind a place not yet filled in. */
  get waiting(): number {
    return this.queue.length;
  }

  private drain(): void {
    while (this.queue.length > 0 && this.queue[0]!.text !== null) this.write(this.queue.shift()!.text!);
  }
}
