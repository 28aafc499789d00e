import { describe, expect, it } from 'vitest';
import { type Row, ratioOf, renderCpuTable, renderTable, targetMet } from '../../scripts/bench/table.js';

const row = (ws: number[], ours: number[], extra: Partial<Row> = {}): Row => ({ label: 'x', values: { raw: [10, 10, 10], ws, ours }, ...extra });

describe('tables', () => {
  it('computes ratios from medians and judges targets in both directions', () => {
    const faster = row([1, 2, 100], [5, 6, 7], { target: { versus: 'ws', ratio: 3, better: 'higher' } });
    expect(ratioOf(faster, 'ws')).toBe(3);
    expect(targetMet(faster)).toBe(true);
    const leaner = row([10, 10, 10], [8, 8, 8], { target: { versus: 'ws', ratio: 0.7, better: 'lower' } });
    expect(targetMet(leaner)).toBe(false);
    expect(targetMet(row([1], [1]))).toBeUndefined();
    expect(targetMet({ label: 'x', values: { ws: [1] }, target: { versus: 'ws', ratio: 1, better: 'higher' } })).toBeUndefined();
  });

  it('renders markdown with the baseline, both ratios, the target verdict and unavailable figures', () => {
    const text = renderTable({
      title: 'Example',
      rawLabel: 'raw TCP',
      rows: [
        row([100, 200, 300], [600, 600, 600], { label: 'msg/s', target: { versus: 'ws', ratio: 3, better: 'higher' } }),
        { label: 'deflate', values: { ws: [5] }, unavailable: { ours: 'n/a (not negotiated)' } },
      ],
      notes: ['A note.'],
    });
    expect(text.split('\n')).toEqual([
      '### Example',
      '',
      '|  | raw TCP | ws | rfc6455 | rfc6455/ws | rfc6455/raw TCP | target |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      '| msg/s | 10.0 (10.0–10.0) | 200 (100–300) | 600 (600–600) | 3.00× | 60.0× | ≥ 3× ws ✓ met |',
      '| deflate | — | 5.00 | n/a (not negotiated) | — | — |  |',
      '',
      'A note.',
    ]);
  });

  it('renders CPU use per implementation as server / load / other', () => {
    const text = renderCpuTable('CPU', [
      { label: 'echo', server: { ws: [0.99, 1.0, 0.98], ours: [1] }, load: { ws: [0.4], ours: [0.2] }, other: { ws: [0.01] } },
    ]);
    expect(text).toContain('| echo | 99% / 40% / 1% | 100% / 20% / ? |');
    expect(text).not.toContain('raw TCP');
  });
});
