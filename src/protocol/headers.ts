/**
 * HTTP header fields as a case-insensitive multi-map. Names are stored lowercased in a `Map`, so a
 * header called `__proto__` or `constructor` is just another key, never an object property.
 */
/** Headers as given by a caller: pairs (including an `HttpHeaders`), or a record whose values may be arrays. */
export type HeadersInit = Iterable<readonly [string, string]> | Readonly<Record<string, string | readonly string[] | undefined>>;

/** The lines of `init` as `[name, value]` pairs, keeping the caller's spelling of names. */
export function headerEntries(init: HeadersInit | undefined): Array<[string, string]> {
  if (init === undefined) return [];
  const out: Array<[string, string]> = [];
  if (Symbol.iterator in init) {
    for (const [name, value] of init as Iterable<readonly [string, string]>) out.push([name, value]);
    return out;
  }
  const record = init as Readonly<Record<string, string | readonly string[] | undefined>>;
  for (const name of Object.keys(record)) {
    const value = record[name];
    if (typeof value === 'string') out.push([name, value]);
    else if (value !== undefined) for (const v of value) out.push([name, v]);
  }
  return out;
}

/**
 * HTTP header fields: names compared case-insensitively, several lines per name kept in order.
 *
 * @example
 * ```ts
 * const headers = HttpHeaders.from({ 'Set-Cookie': ['a=1', 'b=2'] });
 * headers.get('set-cookie');    // 'a=1, b=2'
 * headers.getAll('Set-Cookie'); // ['a=1', 'b=2']
 * ```
 */
export class HttpHeaders implements Iterable<[string, string]> {
  /** One string for a field sent once (the usual case, and the cheaper one), an array for repeats. */
  private readonly fields = new Map<string, string | string[]>();
  private lines = 0;

  /** Builds headers from `[name, value]` pairs or a plain record (values may be arrays). */
  static from(init: HeadersInit): HttpHeaders {
    const headers = new HttpHeaders();
    for (const [name, value] of headerEntries(init)) headers.append(name, value);
    return headers;
  }

  /** Adds a line; earlier lines of the same name stay. */
  append(name: string, value: string): void {
    const key = name.toLowerCase();
    const values = this.fields.get(key);
    if (values === undefined) this.fields.set(key, value);
    else if (typeof values === 'string') this.fields.set(key, [values, value]);
    else values.push(value);
    this.lines++;
  }

  /** All values of a field combined as one list (RFC 9110 §5.3), or undefined when absent. */
  get(name: string): string | undefined {
    const values = this.fields.get(name.toLowerCase());
    return typeof values === 'object' ? values.join(', ') : values;
  }

  /** Every line's value of a field, in order received. */
  getAll(name: string): readonly string[] {
    const values = this.fields.get(name.toLowerCase());
    return values === undefined ? [] : typeof values === 'string' ? [values] : values;
  }

  /** Whether there is at least one line of this name. */
  has(name: string): boolean {
    return this.fields.has(name.toLowerCase());
  }

  /** How many header lines there are in all. */
  get size(): number {
    return this.lines;
  }

  /** `[lowercased name, value]` for every line, grouped by name. */
  *[Symbol.iterator](): IterableIterator<[string, string]> {
    for (const [name, values] of this.fields) {
      if (typeof values === 'string') yield [name, values];
      else for (const value of values) yield [name, value];
    }
  }

  /** A null-prototype record of combined values, for logging and for APIs that want one. */
  toRecord(): Record<string, string> {
    const out: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const [name, values] of this.fields) out[name] = typeof values === 'string' ? values : values.join(', ');
    return out;
  }
}
