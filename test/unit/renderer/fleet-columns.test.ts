import { describe, expect, it } from 'vitest';
import { layoutForWidth } from '../../../renderer/fleet-columns';

describe('layoutForWidth', () => {
  it('shows every column on a wide window', () => {
    const layout = layoutForWidth(1366);
    expect(layout.mode).toBe('table');
    if (layout.mode !== 'table') return;
    expect(layout.columns).toEqual([
      'name',
      'provider',
      'status',
      'disk',
      'jobs',
      'load',
      'age',
      'fresh',
    ]);
    expect(Object.values(layout.widths).reduce((a, b) => a + b, 0)).toBeCloseTo(100);
  });

  it('drops age, provider, load and freshness (in that order) instead of truncating them to "hetz…"', () => {
    const at = (width: number) => {
      const layout = layoutForWidth(width);
      return layout.mode === 'table' ? layout.columns : layout.mode;
    };
    expect(at(1050)).toEqual(['name', 'provider', 'status', 'disk', 'jobs', 'load', 'fresh']);
    // An 800 px window: name, status, disks and jobs at their full minimum widths.
    expect(at(766)).toEqual(['name', 'status', 'disk', 'jobs']);
  });

  it('turns rows into cards below the four columns a machine needs (e.g. 200 % zoom)', () => {
    expect(layoutForWidth(686)).toEqual({ mode: 'cards' });
    expect(layoutForWidth(360)).toEqual({ mode: 'cards' });
  });
});
