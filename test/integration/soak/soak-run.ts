import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { Settings, type SettingsInput } from '../../../shared/settings';
import type { AuditRecord } from '../../../shared/audit';
import { readAudit } from '../../../electron/core/audit/audit-log';
import { createReaper } from '../../../electron/core/reaper/create-reaper';
import { createRuntime } from '../../../electron/core/runtime';
import { ManualClock } from '../../sim/clock';
import { startSimulatedFleet } from '../../sim/fleet';
import { simSecrets } from '../../support/sim-secrets';

/*
 * The soak: a simulated fleet with churn (the autoscaler creates and removes VMs, jobs come
 * and go, disks fill and VMs get stuck) watched by the real runtime and reaper in `auto`
 * mode, with faults injected at random, on a manual clock stepped a minute at a time. It
 * returns the figures the soak test checks: unhandled rejections, heap over time, kills and
 * whether each was justified by its audit evidence and by the world at the moment of the
 * kill (no VM with a running job may be deleted).
 */

/** What one soak run measured. */
export interface SoakFigures {
  simulatedHours: number;
  /** Simulated hours actually run (less than asked when the wall budget ran out). */
  simulatedHoursDone: number;
  stepMs: number;
  cycles: number;
  wallMs: number;
  vmsCreated: number;
  vmsRemovedByAutoscaler: number;
  faultsInjected: number;
  faultsByKind: Record<string, number>;
  kills: number;
  /** Kills of a VM that had a running job when it was deleted (must be 0). */
  wrongfulKills: string[];
  /** Kills without an audit trail whose evidence shows the rule and an idle machine. */
  unjustifiedKills: string[];
  unhandledRejections: string[];
  /** Heap after GC (MiB), sampled through the run. */
  heapMiB: number[];
  /** Source errors seen while no fault was active (a fault that did not clear). */
  errorsWithoutFault: string[];
}

export interface SoakOptions {
  hours: number;
  seed?: number;
  /**
   * Simulated time per cycle; default 4 min. A cycle costs about a second of wall time (the
   * probe runs the shims on every VM), so this is what fits 24 hours into 10 minutes.
   */
  stepMs?: number;
  /** Stop early (reporting the cycles done) once the run has taken this long. */
  wallBudgetMs?: number;
  /** Probability per cycle that a new fault starts (when none is active); default 0.2. */
  faultRate?: number;
}

type FaultKind =
  | 'gitlab-500'
  | 'gitlab-down'
  | 'gitlab-429'
  | 'hetzner-503'
  | 'hetzner-down'
  | 'hetzner-429'
  | 'ssh-drop'
  | 'ssh-refuse';
const FAULTS: FaultKind[] = [
  'gitlab-500',
  'gitlab-down',
  'gitlab-429',
  'hetzner-503',
  'hetzner-down',
  'hetzner-429',
  'ssh-drop',
  'ssh-refuse',
];

/** Small seeded PRNG (mulberry32): the same seed gives the same faults. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function gcFunction(): () => void {
  setFlagsFromString('--expose_gc');
  return runInNewContext('gc') as () => void;
}

const THRESHOLD = 80;
const SAMPLES = 3;

export async function runSoak(options: SoakOptions): Promise<SoakFigures> {
  const stepMs = options.stepMs ?? 240_000;
  const random = prng(options.seed ?? 24);
  const faultRate = options.faultRate ?? 0.2;
  const gc = gcFunction();
  const rejections: string[] = [];
  const onRejection = (reason: unknown) =>
    rejections.push(reason instanceof Error ? (reason.stack ?? reason.message) : String(reason));
  process.on('unhandledRejection', onRejection);

  const clock = new ManualClock(Date.UTC(2026, 10, 23, 6));
  const fleet = await startSimulatedFleet({
    clock,
    vms: 8,
    seed: options.seed ?? 24,
    stuck: 2,
    deleteDelayMs: 0,
    // busier than the default so VMs fill up and get stuck within hours
    scenario: { jobsPerHour: 40 },
  });
  const figures: SoakFigures = {
    simulatedHours: options.hours,
    simulatedHoursDone: 0,
    stepMs,
    cycles: 0,
    wallMs: 0,
    vmsCreated: 0,
    vmsRemovedByAutoscaler: 0,
    faultsInjected: 0,
    faultsByKind: {},
    kills: 0,
    wrongfulKills: [],
    unjustifiedKills: [],
    unhandledRejections: rejections,
    heapMiB: [],
    errorsWithoutFault: [],
  };
  const started = Date.now();
  const input = fleet.settings;
  const withAuto: SettingsInput = {
    ...input,
    fleets: (input.fleets ?? []).map((f) => ({
      ...f,
      reaper: {
        mode: 'auto',
        diskThresholdPct: THRESHOLD,
        samples: SAMPLES,
        minFleetSize: 1,
        maxKillsPerHour: 4,
      },
    })),
  };
  const settings = Settings.parse(withAuto);
  const env = fleet.env;
  const secrets = simSecrets(env);
  const runtime = await createRuntime({
    settings,
    secrets,
    host: 'cli',
    demo: true,
    version: 'soak',
    now: () => clock.now(),
  });
  const reaper = await createReaper({
    settings,
    engine: runtime.engine,
    secrets,
    now: () => clock.now(),
    hcloud: { pollIntervalMs: 5 },
    log: () => undefined,
  });

  // What the world looked like when each server was deleted (the world only moves on ticks).
  const runningAtDelete = new Map<string, number | null>();
  let worldBefore = new Map(fleet.world.vms().map((vm) => [vm.name, vm.runningJobId]));
  const seenVms = new Set(worldBefore.keys());
  const unsubscribe = fleet.hcloud.onServerDeleted((server) => {
    runningAtDelete.set(server.name, worldBefore.get(server.name) ?? null);
  });

  interface ActiveFault {
    kind: FaultKind;
    until: number;
    clear: () => Promise<void>;
  }
  // a holder, so the closures that set it and the loop that reads it see one value
  const faults: { active: ActiveFault | null } = { active: null };
  const gitlab = fleet.gitlab!.sim;
  const startFault = async (cycle: number): Promise<void> => {
    const kind = FAULTS[Math.floor(random() * FAULTS.length)]!;
    const duration = 1 + Math.floor(random() * 3);
    const vms = fleet.world.vms().filter((vm) => vm.state === 'running');
    const vm = vms[Math.floor(random() * vms.length)];
    let clear: () => Promise<void> = async () => undefined;
    switch (kind) {
      case 'gitlab-500':
        gitlab.state.faults.errors = { status: 500, remaining: 1_000_000 };
        clear = async () => void (gitlab.state.faults.errors = null);
        break;
      case 'gitlab-down':
        gitlab.state.faults.down = true;
        clear = async () => void (gitlab.state.faults.down = false);
        break;
      case 'gitlab-429':
        gitlab.state.faults.tooMany = { remaining: 1_000_000, retryAfterSec: 30 };
        clear = async () => void (gitlab.state.faults.tooMany = null);
        break;
      case 'hetzner-503':
        fleet.hcloud.failNext(4, 503);
        // the queued failures are used up one request at a time, whatever the duration
        faults.active = { kind, until: cycle + 5, clear };
        break;
      case 'hetzner-down':
        fleet.hcloud.setDown(true);
        clear = async () => fleet.hcloud.setDown(false);
        break;
      case 'hetzner-429':
        fleet.hcloud.setRateLimitRemaining(0);
        break;
      case 'ssh-drop':
      case 'ssh-refuse':
        if (!vm) return;
        await fleet.ssh.setFault(vm.address, kind === 'ssh-drop' ? 'drop' : 'refuse');
        clear = async () => {
          if (fleet.ssh.addresses().includes(vm.address))
            await fleet.ssh.setFault(vm.address, null).catch(() => undefined);
        };
        break;
    }
    figures.faultsInjected += 1;
    figures.faultsByKind[kind] = (figures.faultsByKind[kind] ?? 0) + 1;
    faults.active ??= { kind, until: cycle + duration, clear };
  };

  // A phase that takes long says where the time goes (a soak that hangs must be diagnosable).
  const watch = async <T>(phase: string, work: Promise<T>): Promise<T> => {
    const timer = setInterval(() => {
      const health = runtime.engine
        .snapshot()
        .sources.map((x) => `${x.id}:${x.state}:${x.lastError?.code ?? ''}`)
        .join(' ');
      process.stderr.write(
        `soak: ${phase} still running after ${Math.round((Date.now() - t0) / 1000)} s; fault ${faults.active?.kind ?? '-'}; ${health}\n`,
      );
    }, 20_000);
    const t0 = Date.now();
    try {
      return await work;
    } finally {
      clearInterval(timer);
    }
  };

  const totalCycles = Math.ceil((options.hours * 3_600_000) / stepMs);
  let quietCycles = 0;
  try {
    for (let cycle = 0; cycle < totalCycles; cycle++) {
      if (options.wallBudgetMs !== undefined && Date.now() - started > options.wallBudgetMs) break;
      if (faults.active && cycle >= faults.active.until) {
        await watch('clearing a fault', faults.active.clear());
        faults.active = null;
        quietCycles = 0;
      }
      if (!faults.active && random() < faultRate)
        await watch('starting a fault', startFault(cycle));
      clock.tick(stepMs);
      await watch('settled', fleet.settled());
      const vmsNow = fleet.world.vms();
      for (const vm of vmsNow) {
        if (!seenVms.has(vm.name)) {
          seenVms.add(vm.name);
          figures.vmsCreated += 1;
        }
      }
      worldBefore = new Map(vmsNow.map((vm) => [vm.name, vm.runningJobId]));
      const snap = await watch('runOnce', runtime.engine.runOnce());
      await watch('reaper.idle', reaper.idle());
      figures.cycles += 1;
      if (process.env.RW_SOAK_PROGRESS)
        process.stderr.write(
          `soak cycle ${cycle}/${totalCycles} wall ${Date.now() - started} ms vms ${vmsNow.length} fault ${faults.active?.kind ?? '-'}\n`,
        );
      if (!faults.active) quietCycles += 1;
      // Some cycles after a fault cleared, every source must be healthy again (Retry-After,
      // backoff and injected failures still queued may hold one for a few cycles).
      if (!faults.active && quietCycles > 3) {
        for (const s of snap.sources)
          if (s.lastError)
            figures.errorsWithoutFault.push(`cycle ${cycle}: ${s.id}: ${s.lastError.message}`);
      }
      if (cycle % Math.max(1, Math.floor(totalCycles / 24)) === 0) {
        gc();
        figures.heapMiB.push(Math.round(process.memoryUsage().heapUsed / 1024 / 102.4) / 10);
      }
    }
    if (faults.active) await faults.active.clear();
    gc();
    figures.heapMiB.push(Math.round(process.memoryUsage().heapUsed / 1024 / 102.4) / 10);

    // The kills and their evidence.
    const { records } = await readAudit({ dir: settings.stateDir });
    const results = records.filter(
      (r) => r.type === 'result' && r.outcome === 'ok' && r.action === 'hcloud-delete',
    );
    figures.kills = results.length;
    for (const result of results) {
      const name = result.machineName ?? '?';
      const running = runningAtDelete.get(name);
      if (running !== null && running !== undefined)
        figures.wrongfulKills.push(`${name} (job ${running} was running)`);
      const why = unjustified(records, result);
      if (why) figures.unjustifiedKills.push(`${name}: ${why}`);
    }
    const removedByScenario = [...seenVms].filter(
      (name) => !fleet.world.vms().some((vm) => vm.name === name) && !runningAtDelete.has(name),
    );
    figures.vmsRemovedByAutoscaler = removedByScenario.length;
  } finally {
    unsubscribe();
    await reaper.dispose();
    await runtime.dispose();
    await fleet.dispose();
    clock.dispose();
    process.off('unhandledRejection', onRejection);
    figures.wallMs = Date.now() - started;
    figures.simulatedHoursDone = (figures.cycles * stepMs) / 3_600_000;
  }
  return figures;
}

/** Why a kill's audit trail does not justify it, or null when it does. */
function unjustified(records: AuditRecord[], result: AuditRecord): string | null {
  const trail = records.filter((r) => r.proposalId === result.proposalId);
  const types = new Set(trail.map((r) => r.type));
  for (const needed of ['proposal', 'confirm', 'action-start'] as const)
    if (!types.has(needed)) return `no ${needed} record`;
  const start = trail.find((r) => r.type === 'action-start');
  const evidence = start?.evidence;
  if (!evidence) return 'action-start without evidence';
  if (result.rule === 'disk') {
    if (evidence.diskPct === null || evidence.diskPct < THRESHOLD)
      return `disk ${evidence.diskPct ?? 'unknown'} % under ${THRESHOLD} %`;
    if ((evidence.samplesOver ?? 0) < SAMPLES) return `${evidence.samplesOver} samples over`;
  }
  if (evidence.runningContainers !== 0) return `${evidence.runningContainers} job containers`;
  if (evidence.runningJobIds.length > 0) return `jobs ${evidence.runningJobIds.join(', ')}`;
  if (start.who !== 'auto') return `started by ${start.who ?? '?'}`;
  return null;
}
