import type { SimClock } from '../clock';
import type { FleetWorld, WorldSnapshot } from '../scenario';
import { startGitLabSim, type GitLabSim } from './server';
import { simInstance, type SimInstanceState, type SimJob, type SimRunner } from './state';

/** The admin token of a world-fed instance (simulator-only value). */
export const WORLD_GITLAB_TOKEN = 'glpat-sim-world-admin-0000';

/** Options of the world-fed GitLab state. */
export interface WorldGitLabOptions {
  /** Extra runners that last contacted GitLab this many days ago (stale, for pruning demos). */
  staleRunnerDays?: number[];
}

/**
 * A GitLab instance state for the scenario world: an admin with `WORLD_GITLAB_TOKEN`, the
 * world's runner with its manager, and its jobs (each trace says `via <the job's VM>`).
 */
export function gitlabStateFromWorld(
  world: FleetWorld,
  options: WorldGitLabOptions = {},
): SimInstanceState {
  const snapshot = world.snapshot();
  const state = simInstance({
    users: [{ id: 1, username: 'root', isAdmin: true }],
    tokens: [
      { token: WORLD_GITLAB_TOKEN, id: 1, name: 'runner-watch', userId: 1, scopes: ['api'] },
    ],
  });
  (options.staleRunnerDays ?? []).forEach((days, i) => {
    const contactedAt = snapshot.now - days * 86_400_000;
    state.runners.push({
      id: 900 + i,
      description: `old-autoscale-${i + 1}`,
      paused: false,
      isShared: true,
      runnerType: 'instance_type',
      tagList: ['docker'],
      version: '16.11.1',
      revision: '535ced5f',
      platform: 'linux',
      architecture: 'amd64',
      createdAt: contactedAt - 30 * 86_400_000,
      contactedAt,
      managers: [],
      ownerUserIds: [],
    });
  });
  syncFromWorld(state, snapshot);
  return state;
}

/**
 * Copies the world's runner and jobs into the GitLab state, replacing what an earlier
 * sync wrote and leaving every other runner and job alone.
 */
export function syncFromWorld(state: SimInstanceState, snapshot: WorldSnapshot): void {
  const { runner } = snapshot;
  const simRunner: SimRunner = {
    id: runner.id,
    description: runner.description,
    paused: state.runners.find((r) => r.id === runner.id)?.paused ?? false,
    isShared: true,
    runnerType: 'instance_type',
    tagList: [...runner.tags],
    version: runner.version,
    revision: runner.revision,
    platform: 'linux',
    architecture: 'amd64',
    createdAt: runner.createdAt,
    contactedAt: runner.contactedAt,
    managers: [
      {
        id: runner.id * 10,
        systemId: runner.systemId,
        version: runner.version,
        revision: runner.revision,
        platform: 'linux',
        architecture: 'amd64',
        ipAddress: runner.managerAddress,
        createdAt: runner.createdAt,
        contactedAt: runner.contactedAt,
      },
    ],
    ownerUserIds: [],
  };
  const at = state.runners.findIndex((r) => r.id === runner.id);
  if (at >= 0) state.runners[at] = simRunner;
  else state.runners.push(simRunner);

  const jobs: SimJob[] = snapshot.jobs.map((job) => ({
    id: job.id,
    runnerId: job.runnerId,
    systemId: job.systemId,
    projectId: job.projectId,
    projectPath: job.projectPath,
    pipelineId: job.pipelineId,
    name: job.name,
    stage: job.stage,
    ref: job.ref,
    status: job.status,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    username: job.user,
    machine: job.machine,
    executor: runner.executor,
    ...(job.containerName ? { container: job.containerName.replace(/-build$/, '') } : {}),
    ...(job.instanceId ? { instanceId: job.instanceId } : {}),
    ...(runner.executor === 'docker-autoscaler' ? { managerHostname: runner.managerHostname } : {}),
    // No VM yet means the runner has not written a trace: GitLab answers an empty body.
    ...(job.machine === null ? { trace: null } : {}),
  }));
  state.jobs = [...state.jobs.filter((j) => j.runnerId !== runner.id), ...jobs];
}

/**
 * Keeps the GitLab state in sync with the world on every clock tick. Attach after
 * `world.start()` so the world has stepped before the copy. Returns the detach function.
 */
export function followWorld(
  world: FleetWorld,
  clock: SimClock,
  state: () => SimInstanceState,
): () => void {
  syncFromWorld(state(), world.snapshot());
  return clock.onTick(() => syncFromWorld(state(), world.snapshot()));
}

/** The GitLab side of the simulated fleet, ready to plug into its settings. */
export interface WorldGitLab {
  sim: GitLabSim;
  /** A `gitlab` entry for the settings (before defaults). */
  settings: {
    id: string;
    url: string;
    token: { env: string };
    intervalSec: number;
    staleAfterDays: number;
  };
  /** Value of the settings' token reference. */
  env: Record<string, string>;
  dispose(): Promise<void>;
}

/** Env variable the world-fed GitLab settings name for the token. */
export const WORLD_GITLAB_TOKEN_ENV = 'RW_SIM_GITLAB_TOKEN';

/**
 * Starts a GitLab simulator that follows the world (on the world's clock), with two stale
 * leftover runners to prune. For `test/sim/fleet.ts`: add `settings` to `gitlab`, merge
 * `env`, and dispose it with the fleet.
 */
export async function startWorldGitLab(
  world: FleetWorld,
  clock: SimClock,
  options: WorldGitLabOptions & {
    id?: string;
    intervalSec?: number;
    /** More worlds whose runners and jobs this instance also holds (their own runner ids and job ranges). */
    alsoWorlds?: FleetWorld[];
  } = {},
): Promise<WorldGitLab> {
  const sim = await startGitLabSim({
    state: gitlabStateFromWorld(world, { staleRunnerDays: options.staleRunnerDays ?? [12, 45] }),
    now: () => clock.now(),
  });
  const unfollows = [world, ...(options.alsoWorlds ?? [])].map((w) =>
    followWorld(w, clock, () => sim.state),
  );
  const unfollow = () => unfollows.forEach((u) => u());
  return {
    sim,
    settings: {
      id: options.id ?? 'sim-gitlab',
      url: sim.url,
      token: { env: WORLD_GITLAB_TOKEN_ENV },
      intervalSec: options.intervalSec ?? 10,
      staleAfterDays: 7,
    },
    env: { [WORLD_GITLAB_TOKEN_ENV]: WORLD_GITLAB_TOKEN },
    dispose: async () => {
      unfollow();
      await sim.close();
    },
  };
}
