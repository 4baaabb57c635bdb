import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Settings } from '../../../shared/settings';
import { Timeline } from '../../../shared/timeline';
import { dispatch } from '../../../electron/core/api';
import { createRuntime, type Runtime } from '../../../electron/core/runtime';
import { ManualClock } from '../../sim/clock';
import { startSimulatedFleet, type SimulatedFleet } from '../../sim/fleet';
import { simSecrets } from '../../support/sim-secrets';

// The timeline as the hosts serve it: the real GitLab source against the world-fed GitLab
// simulator (traces name the VM a job ran on), the real probe over SSH for disks.
let clock: ManualClock;
let fleet: SimulatedFleet;
let runtime: Runtime;

beforeAll(async () => {
  // Near the wall clock: the GitLab source keeps jobs of the last hours by its own clock.
  clock = new ManualClock(Date.now());
  fleet = await startSimulatedFleet({ clock, vms: 5, seed: 21 });
  const env = fleet.env;
  runtime = await createRuntime({
    settings: Settings.parse(fleet.settings),
    secrets: simSecrets(env),
    host: 'serve',
    demo: true,
    version: 'test',
    now: () => clock.now(),
    actions: false,
  });
  // A few cycles: finished jobs' trace heads are linked within a per-cycle budget.
  for (let i = 0; i < 6; i++) {
    await runtime.engine.runOnce();
    clock.tick(10_000);
    await fleet.settled();
  }
  await runtime.engine.runOnce();
});
afterAll(async () => {
  await runtime?.dispose();
  await fleet?.dispose();
  clock.dispose();
});

describe('timeline against the simulated fleet', () => {
  it('places each job on the VM its trace names, and keeps VMs that are gone as rows of their own', async () => {
    const now = clock.now();
    const result = await dispatch(runtime.api, 'rw:timeline:get', {
      from: now - 6 * 3_600_000,
      to: now,
    });
    expect(result.ok, JSON.stringify(result)).toBe(true);
    const timeline = Timeline.parse(result.ok ? result.value : null);
    const placed = new Map<number, string>();
    for (const row of timeline.rows) for (const job of row.jobs) placed.set(job.jobId, row.name);
    const worldJobs = fleet.world
      .jobList()
      .filter(
        (j) => j.startedAt !== null && j.machine !== null && j.startedAt >= now - 2 * 3_600_000,
      );
    expect(worldJobs.length).toBeGreaterThan(3);
    let checked = 0;
    for (const job of worldJobs) {
      const row = placed.get(job.id);
      if (row === undefined) continue; // older than what GitLab keeps for the window, or not listed yet
      if (row !== 'Unplaced jobs') {
        expect(row, `job ${job.id}`).toBe(job.machine);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(3);
    // Every VM the fleet runs now has a row; VMs recycled earlier are rows of kind gone.
    const machineRows = timeline.rows.filter((r) => r.kind === 'machine').map((r) => r.name);
    for (const vm of fleet.world.vms()) expect(machineRows).toContain(vm.name);
    for (const row of timeline.rows.filter((r) => r.kind === 'gone'))
      expect(fleet.world.vms().map((v) => v.name)).not.toContain(row.name);
    // The probe's readings went into the disk strip.
    expect(timeline.rows.some((r) => r.disk.some((s) => s.pct !== null))).toBe(true);
    expect(timeline.fleets[0]?.jobMetrics).toEqual({
      available: false,
      reason: 'No Prometheus configured for this fleet',
    });
  });

  it('opens a job at its page on the simulated GitLab and nowhere else', async () => {
    const now = clock.now();
    const result = await dispatch(runtime.api, 'rw:timeline:get', {
      from: now - 6 * 3_600_000,
      to: now,
    });
    const timeline = Timeline.parse(result.ok ? result.value : null);
    const job = timeline.rows.flatMap((r) => r.jobs)[0];
    expect(job).toBeDefined();
    const gitlabUrl = Settings.parse(fleet.settings).gitlab[0]?.url ?? '';
    const open = await dispatch(runtime.api, 'rw:timeline:open-job', { jobKey: job?.key });
    expect(open).toEqual({
      ok: true,
      value: {
        url: `${gitlabUrl.replace(/\/$/, '')}/${job?.projectPath}/-/jobs/${job?.jobId}`,
        opened: false,
      },
    });
  });
});
