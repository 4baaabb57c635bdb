import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GitLabSettings } from '../../../shared/settings';
import { GitLabSource } from '../../../electron/core/sources/gitlab/gitlab-source';
import { parseTraceHead } from '../../../electron/core/sources/gitlab/trace';
import { ManualClock } from '../../sim/clock';
import { FleetWorld } from '../../sim/scenario';
import {
  followWorld,
  gitlabStateFromWorld,
  startWorldGitLab,
  WORLD_GITLAB_TOKEN,
  WORLD_GITLAB_TOKEN_ENV,
} from '../../sim/gitlab/from-world';
import { startGitLabSim } from '../../sim/gitlab/server';
import { renderTrace } from '../../sim/gitlab/trace';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('GitLab simulator fed by the scenario world', () => {
  it('links every running job of the world to the VM it runs on, tick after tick', async () => {
    const root = mkdtempSync(join(tmpdir(), 'rw-gl-world-'));
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    const clock = new ManualClock();
    const world = new FleetWorld({ clock, stateRoot: root, vms: 6, seed: 7, jobsPerHour: 60 });
    world.start();
    cleanups.push(() => world.dispose());
    const state = gitlabStateFromWorld(world, { staleRunnerDays: [30] });
    const sim = await startGitLabSim({ state, now: () => clock.now() });
    cleanups.push(() => sim.close());
    cleanups.push(followWorld(world, clock, () => sim.state));
    const source = new GitLabSource({
      settings: GitLabSettings.parse({ id: 'world', url: sim.url, token: { env: 'UNUSED' } }),
      token: async () => WORLD_GITLAB_TOKEN,
      now: () => clock.now(),
    });

    let linkedSeen = 0;
    for (let cycle = 0; cycle < 4; cycle += 1) {
      const result = await source.collect(new AbortController().signal);
      const running = world.jobList().filter((j) => j.status === 'running');
      const expected = new Map<string, number[]>();
      for (const job of running)
        expected.set(job.machine ?? '', [...(expected.get(job.machine ?? '') ?? []), job.id]);
      const linked = new Map(
        [...(result.jobsByMachine ?? new Map<string, { jobId: number }[]>())].map(
          ([machine, jobs]) => [machine, jobs.map((j) => j.jobId).sort()],
        ),
      );
      expect(linked).toEqual(new Map([...expected].map(([m, ids]) => [m, ids.sort()])));
      linkedSeen += running.length;
      const runner = result.runners?.find((r) => r.id === world.runner.id);
      expect(runner).toMatchObject({
        status: 'online',
        runningJobs: running.length,
        staleReason: null,
      });
      expect(result.runners?.find((r) => r.id === 900)?.staleReason).toMatch(
        /^GitLab reports it stale/,
      );
      clock.tick(30_000);
    }
    expect(linkedSeen).toBeGreaterThan(0);
  });

  it('starts a world-fed instance with settings a runtime can use', async () => {
    const root = mkdtempSync(join(tmpdir(), 'rw-gl-world-'));
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    const clock = new ManualClock();
    const world = new FleetWorld({ clock, stateRoot: root, vms: 2, seed: 5 });
    world.start();
    cleanups.push(() => world.dispose());
    const gitlab = await startWorldGitLab(world, clock);
    cleanups.push(() => gitlab.dispose());
    const settings = GitLabSettings.parse(gitlab.settings);
    const source = new GitLabSource({
      settings,
      token: async () => gitlab.env[WORLD_GITLAB_TOKEN_ENV] ?? '',
      now: () => clock.now(),
    });
    const result = await source.collect(new AbortController().signal);
    expect(result.runners?.map((r) => [r.id, r.status])).toEqual([
      [101, 'online'],
      [900, 'stale'],
      [901, 'stale'],
    ]);
  });

  it("prints the world's own container and machine in the trace head", () => {
    const root = mkdtempSync(join(tmpdir(), 'rw-gl-world-'));
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    const clock = new ManualClock();
    const world = new FleetWorld({ clock, stateRoot: root, vms: 3, seed: 3, jobsPerHour: 60 });
    const state = gitlabStateFromWorld(world);
    const job = state.jobs.find((j) => j.status === 'running' || j.status === 'success');
    if (!job) throw new Error('the world has no started job');
    const fromWorld = world.traceHead(job.id);
    const link = parseTraceHead(
      renderTrace(
        job,
        state.runners.find((r) => r.id === job.runnerId),
      ),
    );
    expect(fromWorld).toBe(`Running on ${link?.container} via ${link?.machine}...`);
  });
});
