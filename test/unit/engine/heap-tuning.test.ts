import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { LONG_RUN_V8_FLAGS, tuneHeapForLongRun } from '../../../electron/core/heap-tuning';

describe('tuneHeapForLongRun', () => {
  it('sets every long-run flag', () => {
    const set: string[] = [];
    tuneHeapForLongRun((flag) => set.push(flag));
    expect(set).toEqual(['--heap-growing-percent=20', '--semi-space-growth-factor=1']);
  });

  // V8 ignores a flag it does not know without a word: after a Node or Electron upgrade
  // that dropped one, the heap would silently go back to V8's sizing.
  it("names only flags this Node's V8 knows", () => {
    const known = execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8' });
    for (const flag of LONG_RUN_V8_FLAGS) {
      const name = flag.replace(/^--/, '').replace(/=.*$/, '');
      expect(known, name).toMatch(new RegExp(`^\\s+--${name} \\(`, 'm'));
    }
  });
});
