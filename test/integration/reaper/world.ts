import type { RunningJob } from '../../../shared/machine';
import type { Source } from '../../../electron/core/sources/source';

/**
 * What the probe (SSH) and GitLab would see on each machine, changed by tests between
 * cycles. `null` = the reading fails (probe unreachable, GitLab down).
 */
export interface WorldMachine {
  disk: number | null;
  jobs: RunningJob[] | null;
}

/** A world of machines by name, and the two fake collectors that read it. */
export class World {
  readonly machines = new Map<string, WorldMachine>();
  gitlabDown = false;
  /** Called before each probe collection with its number (1, 2, …): scripts a race. */
  beforeProbe: ((n: number) => void) | null = null;
  private probes = 0;

  constructor(private readonly fleet: string) {}

  set(name: string, machine: WorldMachine): void {
    this.machines.set(name, machine);
  }

  /** The probe source: disks and job containers, per machine the inventory listed. */
  probe(): Source {
    return {
      id: `ssh:${this.fleet}`,
      kind: 'ssh',
      label: 'probe',
      phase: 'probe',
      intervalMs: 30_000,
      timeoutMs: 5_000,
      collect: async (_signal, context) => {
        this.beforeProbe?.(++this.probes);
        return {
          machines: context
            .machines()
            .filter((m) => m.fleet === this.fleet && this.machines.has(m.name))
            .map((m) => {
              const w = this.machines.get(m.name) as WorldMachine;
              if (w.disk === null || w.jobs === null) {
                return {
                  fleet: this.fleet,
                  name: m.name,
                  disks: null,
                  jobs: null,
                  error: 'ssh: connect ECONNREFUSED',
                };
              }
              return {
                fleet: this.fleet,
                name: m.name,
                disks: [
                  {
                    mount: '/',
                    sizeBytes: 100,
                    usedBytes: w.disk,
                    availBytes: 100 - w.disk,
                    usedPct: w.disk,
                    inodesTotal: null,
                    inodesUsed: null,
                    inodesUsedPct: null,
                  },
                ],
                jobs: w.jobs,
              };
            }),
        };
      },
    };
  }

  /** The GitLab source: running jobs linked to machines by trace. */
  gitlab(): Source {
    return {
      id: 'gitlab:main',
      kind: 'gitlab',
      label: 'gitlab',
      phase: 'probe',
      intervalMs: 30_000,
      timeoutMs: 5_000,
      collect: async () => {
        if (this.gitlabDown) throw new Error('GitLab: 502 Bad Gateway');
        const byMachine = new Map<string, RunningJob[]>();
        for (const [name, w] of this.machines) if (w.jobs?.length) byMachine.set(name, w.jobs);
        return { machines: [], jobsByMachine: byMachine };
      },
    };
  }
}

/** A job as both witnesses report it. */
export function worldJob(jobId: number, project = 'group/app'): RunningJob {
  return {
    jobId,
    projectId: 1,
    pipelineId: 1,
    runnerId: 1,
    containerName: `runner-${jobId}`,
    jobUrl: null,
    ref: 'main',
    name: 'build',
    projectPath: project,
    user: 'dev',
    startedAt: null,
    seenIn: ['machine', 'gitlab'],
  };
}
