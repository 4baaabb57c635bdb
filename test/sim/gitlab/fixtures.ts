import { simInstance, type SimInstanceState, type SimJob, type SimRunner } from './state';

/** Tokens every fixture instance knows (simulator-only values, never real secrets). */
export const SIM_TOKENS = {
  /** Administrator with `api`: may do everything. */
  admin: 'glpat-sim-admin-api-000000',
  /** Administrator with `read_api` only: reads everything, cannot delete or pause. */
  adminRead: 'glpat-sim-admin-read-00000',
  /** Ordinary user with `read_api` and `manage_runner`, sees only its own runners. */
  user: 'glpat-sim-user-manage-0000',
} as const;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Shape of a fixture fleet. */
export interface FixtureOptions {
  now: number;
  /** Online runners, each serving `machinesPerRunner` autoscaled VMs. */
  onlineRunners?: number;
  offlineRunners?: number;
  staleRunners?: number;
  neverContactedRunners?: number;
  machinesPerRunner?: number;
  /** Running jobs per online runner (one per machine, round-robin). */
  runningJobsPerRunner?: number;
  /** Finished jobs per online runner within the last hours. */
  finishedJobsPerRunner?: number;
  /** First runner id; different instances use different ranges. */
  firstId?: number;
  /** Token prefix that names machines (`runner-<token8>-auto-scale-…`). */
  machinePrefix?: string;
}

/** Name of the i-th autoscaled VM of a runner, in docker+machine's format. */
export function machineName(prefix: string, runnerId: number, index: number): string {
  const token8 = `${prefix}${String(runnerId).padStart(4, '0')}`.slice(0, 8);
  return `runner-${token8}-auto-scale-${1_700_000_000 + index}-${(runnerId * 1000 + index).toString(16).padStart(8, '0')}`;
}

/**
 * A fleet-like instance: an admin and a user with the tokens above, runners in every
 * status with managers, running jobs on named VMs and a history of finished jobs.
 */
export function fixtureInstance(options: FixtureOptions): SimInstanceState {
  const now = options.now;
  const firstId = options.firstId ?? 1;
  const prefix = options.machinePrefix ?? 'x1y2';
  const machinesPerRunner = options.machinesPerRunner ?? 4;
  const runningPerRunner = options.runningJobsPerRunner ?? 2;
  const finishedPerRunner = options.finishedJobsPerRunner ?? 5;
  const runners: SimRunner[] = [];
  const jobs: SimJob[] = [];
  let nextRunner = firstId;
  let nextJob = firstId * 10_000;
  let nextManager = firstId * 100;

  const addRunner = (contactedAt: number | null, createdAt: number): SimRunner => {
    const id = nextRunner++;
    const runner: SimRunner = {
      id,
      description: `autoscale-${id}`,
      paused: false,
      isShared: true,
      runnerType: 'instance_type',
      tagList: ['docker', 'hetzner'],
      version: '17.5.0',
      revision: 'a1b2c3d4',
      platform: 'linux',
      architecture: 'amd64',
      createdAt,
      contactedAt,
      managers: [
        {
          id: nextManager++,
          systemId: `s_${id.toString(16).padStart(12, '0')}`,
          version: '17.5.0',
          revision: 'a1b2c3d4',
          platform: 'linux',
          architecture: 'amd64',
          ipAddress: `127.0.10.${id % 250}`,
          createdAt,
          contactedAt,
        },
      ],
      ownerUserIds: id % 2 === 0 ? [2] : [],
    };
    runners.push(runner);
    return runner;
  };

  for (let i = 0; i < (options.onlineRunners ?? 2); i += 1) {
    const runner = addRunner(now - 30_000, now - 30 * DAY);
    const systemId = runner.managers[0]?.systemId ?? null;
    for (let f = 0; f < finishedPerRunner; f += 1) {
      const started = now - (f + 1) * 20 * 60_000;
      jobs.push({
        id: nextJob++,
        runnerId: runner.id,
        systemId,
        projectId: 40 + (f % 3),
        projectPath: `group/project-${f % 3}`,
        pipelineId: 9000 + f,
        name: `test:${f}`,
        stage: 'test',
        ref: 'main',
        status: f % 4 === 3 ? 'failed' : 'success',
        createdAt: started - 5_000,
        startedAt: started,
        finishedAt: started + 10 * 60_000,
        username: 'dev',
        machine: machineName(prefix, runner.id, f % machinesPerRunner),
        executor: 'docker+machine',
      });
    }
    for (let r = 0; r < runningPerRunner; r += 1) {
      jobs.push({
        id: nextJob++,
        runnerId: runner.id,
        systemId,
        projectId: 50 + r,
        projectPath: `group/app-${r}`,
        pipelineId: 9500 + r,
        name: `build:${r}`,
        stage: 'build',
        ref: 'main',
        status: 'running',
        createdAt: now - 5 * 60_000,
        startedAt: now - 4 * 60_000,
        finishedAt: null,
        username: 'dev',
        machine: machineName(prefix, runner.id, r % machinesPerRunner),
        executor: 'docker+machine',
      });
    }
  }
  for (let i = 0; i < (options.offlineRunners ?? 1); i += 1)
    addRunner(now - 5 * HOUR, now - 60 * DAY);
  for (let i = 0; i < (options.staleRunners ?? 2); i += 1)
    addRunner(now - (10 + i) * DAY, now - 90 * DAY);
  for (let i = 0; i < (options.neverContactedRunners ?? 0); i += 1) addRunner(null, now - HOUR);

  return simInstance({
    users: [
      { id: 1, username: 'root', isAdmin: true },
      { id: 2, username: 'dev', isAdmin: false },
    ],
    tokens: [
      { token: SIM_TOKENS.admin, id: 11, name: 'runner-watch', userId: 1, scopes: ['api'] },
      {
        token: SIM_TOKENS.adminRead,
        id: 12,
        name: 'runner-watch-read',
        userId: 1,
        scopes: ['read_api'],
      },
      {
        token: SIM_TOKENS.user,
        id: 13,
        name: 'runner-watch-user',
        userId: 2,
        scopes: ['read_api', 'manage_runner'],
      },
    ],
    runners,
    jobs,
  });
}
