import { describe, expect, it } from 'vitest';
import { NOT_PROBED_JOBS_UNKNOWN } from '../../../shared/fleet';
import type { FleetSettings } from '../../../shared/settings';
import { fleetSettings } from './fixtures';
import { repeat, runPolicy, T0 } from './harness';

// The policy on a fleet with `probe: "none"`: Prometheus reads the disks, nothing reads the
// job containers. Unknown is never idle, whichever rule fires, and the reason names the setting.
const unprobed = (reaper: Parameters<typeof fleetSettings>[1] = {}): FleetSettings => ({
  ...fleetSettings('big', { mode: 'auto', ...reaper }),
  probe: 'none',
});
const REASON = NOT_PROBED_JOBS_UNKNOWN;
// Disk at 95 % from Prometheus, no container reading, GitLab links no job to it.
const full = { name: 'big-1', fleet: 'big', disk: 95, jobs: null, gitlab: [] };
const spare = { name: 'big-2', fleet: 'big', disk: 20, jobs: null, gitlab: [] };

describe('policy on a fleet with probe: none', () => {
  it('proposes the full VM blocked by its unknown containers, naming the setting', () => {
    const { byName } = runPolicy({ fleets: [unprobed()], ticks: repeat(3, [full, spare]) });
    const proposal = byName.get('big-1');
    expect(proposal?.rule).toBe('disk');
    expect(proposal?.evidence.diskPct).toBe(95);
    expect(proposal?.evidence.runningContainers).toBeNull();
    // the only thing that stops the kill is what nobody read
    expect(proposal?.blocked).toEqual([REASON]);
  });

  it('the same machine in an SSH fleet says its probe read nothing (the generic reason)', () => {
    const ssh = fleetSettings('big', { mode: 'auto' });
    const { byName } = runPolicy({ fleets: [ssh], ticks: repeat(3, [full, spare]) });
    expect(byName.get('big-1')?.blocked).toEqual(['job containers on the machine unknown']);
  });

  it('a read that failed keeps its own error, even in such a fleet', () => {
    const { byName } = runPolicy({
      fleets: [unprobed()],
      ticks: repeat(3, [{ ...full, error: 'reading rejected: bad jobs' }, spare]),
    });
    expect(byName.get('big-1')?.blocked).toContain(
      'job containers on the machine unknown (reading rejected: bad jobs)',
    );
  });

  it('the idle rule never fires and the max-age rule is blocked while containers are unknown', () => {
    const { proposals } = runPolicy({
      fleets: [unprobed({ idleMinutes: 0, maxAgeHours: 0.001 })],
      ticks: repeat(3, [{ ...full, disk: 20 }, { ...spare, name: 'big-3' }, spare]),
      evalAt: T0 + 10 * 60_000,
    });
    expect(proposals.filter((p) => p.rule === 'idle')).toEqual([]);
    expect(proposals.length).toBeGreaterThan(0);
    for (const p of proposals) {
      expect(p.rule).toBe('max-age');
      expect(p.blocked).toContain(REASON);
    }
  });
});
