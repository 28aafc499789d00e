import { describe, expect, it } from 'vitest';
import { type HeapSnapshot, censusOf, diffCensus, renderCensus } from '../../scripts/bench/heap-census.js';

/** A snapshot in V8's flat format: nodes as [type, name, self_size] triples. */
function snapshot(nodes: Array<[string, string, number]>): HeapSnapshot {
  const types = ['object', 'closure', 'array'];
  const strings = [...new Set(nodes.map((n) => n[1]))];
  return {
    snapshot: { meta: { node_fields: ['type', 'name', 'self_size'], node_types: [types] } },
    nodes: nodes.flatMap(([type, name, size]) => [types.indexOf(type), strings.indexOf(name), size]),
    strings,
  };
}

describe('heap census', () => {
  it('counts and sizes heap nodes by kind, and diffs two snapshots per connection', () => {
    const before = censusOf(snapshot([['object', 'Socket', 300], ['closure', 'next', 56]]));
    expect(before.get('object:Socket')).toEqual({ count: 1, bytes: 300 });
    const after = censusOf(
      snapshot([
        ['object', 'Socket', 300],
        ['object', 'Socket', 300],
        ['object', 'Socket', 300],
        ['object', 'Conn', 384],
        ['object', 'Conn', 384],
        ['closure', 'next', 56],
        ['closure', 'next', 56],
        ['closure', 'next', 56],
      ]),
    );
    const rows = diffCensus(before, after, 2);
    expect(rows).toEqual([
      { kind: 'object:Conn', countPer: 1, bytesPer: 384 },
      { kind: 'object:Socket', countPer: 1, bytesPer: 300 },
      { kind: 'closure:next', countPer: 1, bytesPer: 56 },
    ]);
    const text = renderCensus('t', rows, 2);
    expect(text).toContain('740 bytes per connection');
    expect(text).toContain('| 384 | 1.00 | `object:Conn` |');
    expect(text).not.toContain('closure:next');
  });
});
