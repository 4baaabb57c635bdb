// GitLab requests per steady-state cycle for a fleet like the demo's: the scenario world
// (docker+machine on Hetzner, default 8 VMs, seed 1, 2 h of history) feeds the GitLab
// simulator; one GitLab source polls it every 30 s of scenario time for an hour.
// Target (ARCHITECTURE.md, issue 4): at most one request per busy runner plus one per new
// job, besides the runner list page. Run: npx tsx bench/gitlab-requests.ts
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitLabSettings } from '../shared/settings';
import { GitLabSource } from '../electron/core/sources/gitlab/gitlab-source';
import { ManualClock } from '../test/sim/clock';
import { FleetWorld } from '../test/sim/scenario';
import {
  followWorld,
  gitlabStateFromWorld,
  WORLD_GITLAB_TOKEN,
} from '../test/sim/gitlab/from-world';
import { startGitLabSim } from '../test/sim/gitlab/server';

const INTERVAL_MS = 30_000;
const CYCLES = Number(process.env.CYCLES ?? 120);

const root = mkdtempSync(join(tmpdir(), 'rw-bench-gitlab-'));
const clock = new ManualClock();
const world = new FleetWorld({ clock, stateRoot: root });
world.start();
// Two stale runners left over from an older setup, as real instances have.
const sim = await startGitLabSim({
  state: gitlabStateFromWorld(world, { staleRunnerDays: [12, 45] }),
  now: () => clock.now(),
});
const unfollow = followWorld(world, clock, () => sim.state);
const source = new GitLabSource({
  settings: GitLabSettings.parse({
    id: 'demo',
    url: sim.url,
    token: { env: 'UNUSED' },
    intervalSec: INTERVAL_MS / 1000,
  }),
  token: async () => WORLD_GITLAB_TOKEN,
  now: () => clock.now(),
});

interface Cycle {
  cycle: number;
  requests: number;
  busyRunners: number;
  newJobs: number;
  listPages: number;
  runningJobs: number;
  byRoute: Record<string, number>;
}
const cycles: Cycle[] = [];
try {
  for (let i = 0; i <= CYCLES; i += 1) {
    const result = await source.collect(new AbortController().signal);
    const stats = source.lastCycle;
    if (!stats) throw new Error('no cycle figures');
    cycles.push({
      cycle: i,
      requests: stats.requests,
      busyRunners: stats.busyRunners,
      newJobs: stats.newJobs,
      listPages: stats.byRoute['GET runners/all'] ?? 0,
      runningJobs: [...(result.jobsByMachine?.values() ?? [])].reduce(
        (n, jobs) => n + jobs.length,
        0,
      ),
      byRoute: stats.byRoute,
    });
    clock.tick(INTERVAL_MS);
  }
} finally {
  unfollow();
  await sim.close();
  world.dispose();
  rmSync(root, { recursive: true, force: true });
}

const first = cycles[0];
// The first cycles also link the 2 h of finished history to VMs (20 trace heads per cycle at
// most); steady state starts once that backfill is done (skip the first 5 minutes).
const BACKFILL_CYCLES = 10;
const steady = cycles.slice(1 + BACKFILL_CYCLES);
const backfill = cycles.slice(1, 1 + BACKFILL_CYCLES);
const sum = (f: (c: Cycle) => number) => steady.reduce((n, c) => n + f(c), 0);
const target = (c: Cycle) => c.busyRunners + c.newJobs;
const routes: Record<string, number> = {};
for (const c of steady)
  for (const [route, n] of Object.entries(c.byRoute)) routes[route] = (routes[route] ?? 0) + n;
const summary = {
  runners: sim.state.runners.length,
  vms: world.vms().length,
  intervalSec: INTERVAL_MS / 1000,
  steadyCycles: steady.length,
  firstCycleRequests: first?.requests ?? 0,
  backfillRequests: backfill.map((c) => c.requests),
  steadyRequestsPerCycle: Number((sum((c) => c.requests) / steady.length).toFixed(2)),
  steadyMaxRequests: Math.max(...steady.map((c) => c.requests)),
  busyRunnersPerCycle: Number((sum((c) => c.busyRunners) / steady.length).toFixed(2)),
  newJobsPerCycle: Number((sum((c) => c.newJobs) / steady.length).toFixed(2)),
  runningJobsPerCycle: Number((sum((c) => c.runningJobs) / steady.length).toFixed(2)),
  /** Requests above busy runners + new jobs, per cycle: the runner list page and the periodic refreshes. */
  overheadPerCycle: Number((sum((c) => c.requests - target(c)) / steady.length).toFixed(2)),
  cyclesWithinTargetPlusListPage: steady.filter((c) => c.requests <= target(c) + c.listPages)
    .length,
  steadyRequestsByRoute: routes,
};
console.table(cycles.slice(0, 24).map(({ byRoute: _, ...c }) => c));
console.log(summary);
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/gitlab-requests.json',
  `${JSON.stringify({ bench: 'gitlab-requests', node: process.version, at: new Date().toISOString(), summary, cycles: cycles.map(({ byRoute: _, ...c }) => c) }, null, 2)}\n`,
);
console.log('wrote bench/results/gitlab-requests.json');
