import pLimit from 'p-limit';
import type { ApiError } from '../../../../shared/errors';
import type { ContainerExits, Machine } from '../../../../shared/machine';
import type { FleetSettings, Settings } from '../../../../shared/settings';
import { toApiError } from '../../errors/rw-error';
import type { CollectContext, CollectResult, MachineObservation, Source } from '../source';
import type { SecretLookup } from './auth';
import { parseProbeOutput, type ContainerExitReport, type ProbeReport } from './probe-parse';
import { probeCommand, type ProbeRequest } from './probe-script';
import { SshPool } from './pool';
import { emptySshConfig, loadSshConfig, type SshConfigLookup } from './ssh-config';
import type { SshTarget } from './target';
import { createTargetDirectory } from './targets';

/** Construction options of the probe source. */
export interface ProbeSourceOptions {
  settings: Settings;
  secrets: SecretLookup | null;
  /** Shared pool (e.g. with the docker-machine source); the source creates its own otherwise. */
  pool?: SshPool;
  /** Parsed ssh config; by default `settings.probe.sshConfigFile` is read on each cycle. */
  sshConfig?: SshConfigLookup;
  /** Also list `runner-*` volumes (slower; for cleanup proposals). */
  volumes?: boolean;
}

/** One host to probe this cycle. */
interface ProbeJob {
  fleet: FleetSettings;
  name: string;
  target: SshTarget;
  /** Dedicated hosts from settings: this source also provides their identity. */
  dedicated: boolean;
}

/** Machines in these states have no SSH to reach (or no longer exist). */
const NOT_PROBED = new Set(['gone', 'off', 'deleting', 'starting']);

/**
 * Runs the probe on one host and parses the answer. A host that cannot be reached, or
 * whose command fails or times out, throws `SshError`; a partial answer resolves with the
 * unreadable fields null (see `ProbeReport.errors`).
 */
export async function probeHost(
  pool: SshPool,
  target: SshTarget,
  request: Omit<ProbeRequest, 'nonce'>,
  signal?: AbortSignal,
): Promise<ProbeReport> {
  const { argv, nonce } = probeCommand(request);
  const result = await pool.exec(target, argv, signal ? { signal } : {});
  const report = parseProbeOutput(result.stdout, nonce, request);
  if (result.code !== 0 && report.complete)
    report.errors.push(`probe exited with status ${result.code ?? result.signal}`);
  return report;
}

/**
 * Container stops on this app's clock: each age the host counted on its own clock, back
 * from when the answer arrived. A host clock set wrong shifts its `date` and Docker's
 * finish times alike, so it cannot make a container look as if it stopped long ago.
 */
export function exitsAt(report: ContainerExitReport, receivedAt: number): ContainerExits {
  return {
    lastExitAt: report.lastExit === null ? null : Math.max(0, receivedAt - report.lastExit.ageMs),
    lastExitJobId: report.lastExit?.jobId ?? null,
    active: report.active,
    exited: report.exited,
  };
}

/**
 * The SSH probe source (phase `probe`): every machine of the fleet model that has an
 * address and whose fleet is configured (`FleetSettings.ssh`), plus the dedicated hosts
 * of `settings.sshHosts` (for those it also reports the identity and is their inventory).
 * Machines of fleets with `probe: "none"` are never dialled (Prometheus reads them).
 * VMs of a docker-machine fleet with `viaManager` are reached through the manager.
 * One command per host per cycle, at most `probe.concurrency` at once; a host that hangs
 * runs into its own connect + command timeout and does not hold up the others.
 */
export function createProbeSource(
  options: ProbeSourceOptions,
): Source & { readonly pool: SshPool } {
  const { settings } = options;
  const ownsPool = !options.pool;
  const pool = options.pool ?? new SshPool({ secrets: options.secrets });
  const fleets = new Map(settings.fleets.map((f) => [f.id, f]));
  const limit = pLimit(settings.probe.concurrency);
  let lastHostCount = settings.sshHosts.length;
  const perHostMs =
    Math.max(
      ...settings.fleets.map(
        (f) => f.ssh.connectTimeoutSec * (f.ssh.jumpHost ? 2 : 1) + f.ssh.commandTimeoutSec,
      ),
      30,
    ) * 1000;

  const dedicatedFleets = [...new Set(settings.sshHosts.map((h) => h.fleet))];

  /**
   * Whether the machine is one to reach over SSH at all (its address is looked up later).
   * Not the machines of a fleet with `probe: "none"` (its disks come from Prometheus) nor
   * those of a WinRM fleet: no reading, so their job containers stay unknown and no rule
   * that needs them ever deletes one.
   */
  const probeable = (machine: Machine, dedicatedKeys: ReadonlySet<string>): boolean => {
    if (dedicatedKeys.has(machine.key)) return false;
    if (machine.status.value !== null && NOT_PROBED.has(machine.status.value)) return false;
    // Deleted by us: whatever still lists it, there is nothing to reach, and failing to
    // reach it says nothing about the probe.
    if (machine.removed) return false;
    const fleet = fleets.get(machine.fleet);
    return fleet !== undefined && fleet.probe !== 'none';
  };
  const dedicatedKeys = new Set(settings.sshHosts.map((h) => `${h.fleet}/${h.alias}`));

  const plan = (
    config: SshConfigLookup,
    machines: readonly Machine[],
  ): { jobs: ProbeJob[]; warnings: string[] } => {
    const jobs: ProbeJob[] = [];
    const warnings: string[] = [];
    const directory = createTargetDirectory(settings, config);
    const winrm = new Set<string>();
    for (const host of settings.sshHosts) {
      const fleet = fleets.get(host.fleet);
      try {
        if (!fleet) throw new Error(`fleet ${host.fleet} is not configured`);
        jobs.push({ fleet, name: host.alias, target: directory.host(host.alias), dedicated: true });
      } catch (error) {
        warnings.push(`SSH host ${host.alias}: ${toApiError(error).message}`);
      }
    }
    for (const machine of machines) {
      if (!probeable(machine, dedicatedKeys)) continue;
      const fleet = fleets.get(machine.fleet);
      if (!fleet) continue;
      if (fleet.autoscaler?.protocol === 'winrm') {
        winrm.add(fleet.id);
        continue;
      }
      try {
        const target = directory.machine(machine);
        if (target) jobs.push({ fleet, name: machine.name, target, dedicated: false });
      } catch (error) {
        warnings.push(`${machine.key}: ${toApiError(error).message}`);
      }
    }
    // Unknown stays unknown: these machines get no disk or job reading, so none is deleted.
    for (const id of winrm)
      warnings.push(
        `fleet ${id}: its instances use the WinRM connector (Windows); Runner Watch probes over SSH only, so their disks and jobs stay unknown`,
      );
    return { jobs, warnings };
  };

  /** One host's observation, and the error when the host could not be probed at all. */
  const probeOne = async (
    job: ProbeJob,
    signal: AbortSignal,
    now: () => number,
  ): Promise<{ observation: MachineObservation; failure: ApiError | null }> => {
    const deadline = AbortSignal.timeout(
      job.target.connectTimeoutMs * (job.target.jump ? 2 : 1) + job.target.commandTimeoutMs + 1000,
    );
    const both = AbortSignal.any([signal, deadline]);
    const base: MachineObservation = { fleet: job.fleet.id, name: job.name };
    const identity = (reached: boolean): MachineObservation['identity'] => ({
      kind: 'dedicated',
      provider: 'ssh',
      providerId: null,
      serverType: null,
      createdAt: null,
      labels: {},
      addresses: [job.target.host],
      providerStatus: reached ? 'reachable' : 'unreachable',
      state: reached ? 'running' : 'unknown',
    });
    try {
      const report = await probeHost(
        pool,
        job.target,
        { mounts: job.fleet.watchedMounts, volumes: options.volumes ?? false },
        both,
      );
      const observation: MachineObservation = {
        ...base,
        ...(job.dedicated ? { identity: identity(true) } : {}),
        disks: report.disks,
        jobs: report.jobs,
        load: report.load,
        runsGitlabRunner: report.runsGitlabRunner,
        containerExits: report.containerExits && exitsAt(report.containerExits, now()),
        ...(report.errors.length ? { error: report.errors.join('; ') } : {}),
      };
      return { observation, failure: null };
    } catch (error) {
      signal.throwIfAborted();
      const failure = toApiError(error);
      const observation: MachineObservation = {
        ...base,
        ...(job.dedicated ? { identity: identity(false) } : {}),
        disks: null,
        jobs: null,
        load: null,
        containerExits: null,
        error: failure.message,
      };
      return { observation, failure };
    }
  };

  return {
    id: 'ssh:probe',
    kind: 'ssh',
    label: 'SSH probe',
    phase: 'probe',
    intervalMs: settings.probe.intervalSec * 1000,
    /** Room for every wave of hosts to run into its own timeout. */
    get timeoutMs() {
      return perHostMs * Math.max(1, Math.ceil(lastHostCount / settings.probe.concurrency)) + 5_000;
    },
    pool,
    async collect(signal: AbortSignal, context: CollectContext): Promise<CollectResult> {
      const machines = context.machines();
      // Nothing to reach (every fleet `probe: "none"`, or no machine yet): no ssh config
      // read, no connection, and no failure — there was nothing to fail at.
      if (settings.sshHosts.length === 0 && !machines.some((m) => probeable(m, dedicatedKeys))) {
        lastHostCount = 0;
        return { machines: [], inventoryOf: dedicatedFleets };
      }
      const config =
        options.sshConfig ??
        (settings.probe.sshConfigFile
          ? await loadSshConfig(settings.probe.sshConfigFile)
          : emptySshConfig);
      signal.throwIfAborted();
      const { jobs, warnings } = plan(config, machines);
      lastHostCount = jobs.length;
      const probed = await Promise.all(
        jobs.map((job) => limit(() => probeOne(job, signal, () => context.now()))),
      );
      signal.throwIfAborted();
      const observed = probed.map((p) => p.observation);
      const failed = observed.filter((m) => m.disks === null && m.jobs === null && m.load === null);
      if (failed.length > 0) {
        const names = failed
          .slice(0, 3)
          .map((m) => m.name)
          .join(', ');
        warnings.push(
          `${failed.length} of ${observed.length} hosts not probed (${names}${failed.length > 3 ? ', …' : ''})`,
        );
      }
      // Reaching no host at all is a failure of the probe, not a probe with limits.
      const first = probed.find((p) => p.failure !== null);
      const failure =
        first?.failure && probed.every((p) => p.failure !== null)
          ? {
              code: first.failure.code,
              message: `no host could be probed (${probed.length} of ${probed.length} failed); first: ${first.failure.message}`,
            }
          : undefined;
      return {
        machines: observed,
        inventoryOf: dedicatedFleets,
        ...(warnings.length ? { warnings } : {}),
        ...(failure ? { failure } : {}),
      };
    },
    async dispose() {
      if (ownsPool) await pool.dispose();
    },
  };
}
