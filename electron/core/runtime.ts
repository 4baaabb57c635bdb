import type { ApiHandlers, AppInfo } from '../../shared/api';
import type { AlertState } from '../../shared/alerts';
import type { AuditRecord } from '../../shared/audit';
import type { SecretRef, Settings } from '../../shared/settings';
import { createApiHandlers, type ApiContext, type SettingsApi } from './api';
import { AuditLog, currentUser } from './audit/audit-log';
import { expandHome } from './config/expand-home';
import { prepareStateDir } from './config/state-dir';
import { Engine } from './engine';
import { fleetPolicies } from './fleet/fleet-policy';
import { DisposableStore, toDisposable, type Disposable } from './lifecycle';
import { createReaper } from './reaper/create-reaper';
import { identityFacts } from './reaper/identity';
import { annotateOrphans, managerListings, type OrphanFacts } from './reaper/orphans';
import { machinePrice } from './cost/fleet-cost';
import type { SourceHealth } from '../../shared/source';
import { sshRemoteExec } from './reaper/remote-exec';
import { RunnerService } from './runners/runner-service';
import { createDockerMachineSource } from './sources/docker-machine/source';
import { createGitLabSources } from './sources/gitlab/create-gitlab-sources';
import type { GitLabSource } from './sources/gitlab/gitlab-source';
import { createHcloudSource } from './sources/hcloud/source';
import { createPrometheusSource } from './sources/prometheus/source';
import { createRunnerMetricsSource } from './sources/runner-metrics/source';
import { JobMetricsService } from './job-metrics/service';
import { JobMetricsStore } from './job-metrics/store';
import { join } from 'node:path';
import { CostService, type PriceSource } from './cost/cost-service';
import { AlertService } from './alerts/alert-service';
import { AlertStore } from './alerts/alert-store';
import type { Source } from './sources/source';
import { SshPool } from './sources/ssh/pool';
import { createProbeSource } from './sources/ssh/probe-source';
import { emptySshConfig, loadSshConfig } from './sources/ssh/ssh-config';
import { createTargetDirectory } from './sources/ssh/targets';
import { StateDirLock } from './state-lock/state-dir-lock';
import { TimelineService, type TimelineServiceOptions } from './timeline/timeline-service';

/** Resolves secret references; implemented per host (env/file for CLI and serve). */
export interface SecretResolver {
  resolve(ref: SecretRef): Promise<string>;
}

/** What a host passes to build the engine and its API. */
export interface RuntimeOptions {
  settings: Settings;
  secrets: SecretResolver;
  host: 'serve' | 'electron' | 'cli';
  demo: boolean;
  version: string;
  /** Warnings the host wants shown (e.g. secrets stored as plain text). */
  warnings?: string[];
  /** The host's warnings of this moment (its settings file edited into something unusable). */
  hostWarnings?: () => string[];
  /** The desktop app's encrypted store, for `rw:secrets:migrate`. */
  secretStore?: ApiContext['secretStore'];
  now?: () => number;
  /**
   * Run the reaper and runner pruning (audit log and state in `stateDir`). On by default
   * for the long-running hosts; CLI commands that only read (`scan`) leave it off, and
   * `reap` builds its own with a forced mode.
   */
  actions?: boolean;
  /**
   * Opens a checked job URL in the user's browser (the Electron host passes
   * `shell.openExternal`); without it `rw:timeline:open-job` hands the URL back.
   */
  openExternal?: (url: string) => Promise<void>;
  /** Whether a fleet's job metrics can be read; see `TimelineServiceOptions.jobMetrics`. */
  jobMetrics?: TimelineServiceOptions['jobMetrics'];
  /** The Settings view's channels (the host's settings store); see `ReloadableRuntime`. */
  settingsApi?: SettingsApi;
}

/** The engine with its API, as every host uses it. */
export interface Runtime extends Disposable {
  engine: Engine;
  api: ApiHandlers;
  settings: Settings;
  /** Job metrics (Prometheus + local store), also for the `job-metrics` command. */
  jobMetrics: Pick<JobMetricsService, 'get' | 'saveFinished'>;
  /** Every audit record once written; never fires when the runtime runs no actions. */
  onAudit(listener: (record: AuditRecord) => void): Disposable;
  /** Acknowledgements and mutes now (shared by every host through the state dir). */
  alertState(): AlertState;
  /**
   * Reads the Hetzner price lists that are missing or older than a day, so orphans show
   * their cost (the engine also starts this on its own when an orphan is unpriced).
   */
  refreshPrices(): Promise<void>;
  /**
   * Conditions the user must know about now, as `rw:app:info` reports them: the host's own
   * warnings, and why this process cannot act (another one holds the state directory, the
   * state file is unreadable). They change while the process runs (a take-over).
   */
  warnings(): string[];
  dispose(): Promise<void>;
}

/** Folder of the job metrics store: `jobMetrics.storeDir`, or `<stateDir>/job-metrics`. */
export function jobMetricsDir(settings: Settings): string {
  return expandHome(settings.jobMetrics.storeDir ?? join(settings.stateDir, 'job-metrics'));
}

/** The collectors of a settings file, and what the reaper needs of them. */
export interface SourceSet {
  sources: Source[];
  gitlab: GitLabSource[];
  /** The Hetzner projects, whose clients also read prices and delete servers. */
  hetzner: PriceSource[];
  /** One SSH connection pool for the probe, docker-machine managers and reaper commands. */
  pool: SshPool;
}

/**
 * Builds one collector per configured source: a Hetzner source per project, a GitLab
 * source per instance, a docker-machine source per runner manager, and one SSH probe for
 * every fleet's machines and dedicated hosts (it probes whatever the inventories found).
 * The SSH sources share one pool, so a host is one connection whatever uses it.
 */
export function createSources(
  settings: Settings,
  secrets: SecretResolver,
  now?: () => number,
): SourceSet {
  const pool = new SshPool({ secrets });
  // The engine's clock, so rate-limit windows and "retry a rejected token later" follow the
  // same time as freshness (a simulated clock in tests and the demo, a jumped clock).
  const clock = now ? { now } : {};
  const gitlab = createGitLabSources(settings, secrets, clock);
  const hetzner = settings.hetzner.map((project) => {
    const fleet = settings.fleets.find((f) => f.id === project.fleet);
    return createHcloudSource({
      settings: project,
      secrets,
      fleetKind: fleet?.kind ?? 'dedicated',
      // a fleeting connector's address choice decides which address the probe dials
      ...(fleet?.autoscaler?.address ? { address: fleet.autoscaler.address } : {}),
      ...clock,
    });
  });
  const sources: Source[] = [
    ...hetzner,
    ...gitlab,
    ...settings.dockerMachine.map((dm) =>
      createDockerMachineSource({ settings, dm, secrets, pool }),
    ),
  ];
  if (settings.fleets.length > 0) sources.push(createProbeSource({ settings, secrets, pool }));
  for (const prom of settings.prometheus)
    sources.push(createPrometheusSource({ settings, prom, secrets }));
  for (const entry of settings.runnerMetrics)
    sources.push(createRunnerMetricsSource({ entry, secrets }));
  return { sources, gitlab, hetzner, pool };
}

/**
 * Builds the engine and its API from settings. The caller starts polling with
 * `runtime.engine.start()` (serve, Electron) or runs one cycle (`scan`). With `actions`,
 * the reaper follows the engine and runner pruning is available; both write one audit log.
 */
export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { settings, secrets } = options;
  const disposables = new DisposableStore();
  const set = createSources(settings, secrets, options.now);
  disposables.add(set.pool);
  // The mode in force comes from the reaper once it runs (run-time switches included).
  let modeOf = (fleet: Settings['fleets'][number]) => fleet.reaper.mode;
  // Orphans are priced from the cost service's lists (set below; unpriced until then).
  let cost: CostService | null = null;
  const costBasis = { basis: settings.cost.basis, rate: settings.cost.rate };
  const orphanFacts = (sources: readonly SourceHealth[], now: number): OrphanFacts => ({
    listings: managerListings(settings, sources, now),
    currency: settings.cost.currency,
    price: (machine) =>
      cost ? machinePrice(machine, cost.priceBooks, costBasis) : { unknown: 'no price list' },
  });
  const engine = disposables.add(
    new Engine({
      sources: set.sources,
      fleets: () => fleetPolicies(settings.fleets, (fleet) => modeOf(fleet)),
      annotate: (machines, view) =>
        annotateOrphans(
          machines,
          settings.fleets,
          orphanFacts(view.sources, view.now),
          identityFacts(settings, view.runners),
          view.now,
        ),
      ...(options.now ? { now: options.now } : {}),
    }),
  );
  const jobs = () => set.gitlab.flatMap((source) => source.timeline());
  cost = disposables.add(
    new CostService({
      settings: settings.cost,
      sources: set.hetzner,
      inputs: { machines: () => engine.snapshot().machines, jobs },
      // Written when a cost report, or an orphan to price (also in `scan`), refreshes prices.
      cacheDir: expandHome(settings.stateDir),
      ...(options.now ? { now: options.now } : {}),
    }),
  );
  const prices = cost;
  let pricesAskedAt: number | null = null;
  const refreshPrices = () => prices.refreshPrices();
  // Orphans without a price; kept across deltas, which carry a machine only when it changed.
  const unpricedOrphans = new Set<string>();
  disposables.add(
    engine.onEvent((event) => {
      const machines = event.type === 'snapshot' ? event.snapshot.machines : event.upserted;
      prices.remember(machines);
      if (event.type === 'snapshot') unpricedOrphans.clear();
      else for (const key of event.removed) unpricedOrphans.delete(key);
      for (const m of machines) {
        if (m.orphan && m.orphan.perHour === null) unpricedOrphans.add(m.key);
        else unpricedOrphans.delete(m.key);
      }
      // An orphan's cost needs the price lists, which only cost reports read otherwise.
      const now = (options.now ?? Date.now)();
      const unpriced = unpricedOrphans.size > 0;
      if (unpriced && (pricesAskedAt === null || Math.abs(now - pricesAskedAt) >= 60_000)) {
        pricesAskedAt = now;
        void refreshPrices().catch(() => undefined);
      }
    }),
  );
  // Acknowledgements and mutes live in the state dir, so every host and the CLI share them.
  const alertStore = new AlertStore(expandHome(settings.stateDir), options.now);
  await alertStore.load().catch((error: unknown) => {
    alertStore.problem = `alert acknowledgements could not be read: ${error instanceof Error ? error.message : String(error)}`;
  });
  const alerts = new AlertService(
    alertStore,
    () => engine.snapshot(),
    settings.fleets,
    currentUser(),
    options.now,
  );
  const extras = {
    cost: prices,
    jobs,
    alerts,
    ...(options.now ? { now: options.now } : {}),
    ...secretStoreOf(options),
  };
  const info: AppInfo = {
    name: 'Runner Watch',
    version: options.version,
    host: options.host === 'electron' ? 'electron' : 'serve',
    demo: options.demo,
    startedAt: (options.now ?? Date.now)(),
    warnings: options.warnings ?? [],
    user: currentUser(),
  };
  const jobMetrics = new JobMetricsService({
    settings,
    gitlab: set.gitlab,
    machines: () => engine.machines(),
    secrets,
    store: new JobMetricsStore({
      dir: jobMetricsDir(settings),
      maxBytes: settings.jobMetrics.storeMaxMB * 1024 * 1024,
      ...(options.now ? { now: options.now } : {}),
    }),
    ...(options.now ? { now: options.now } : {}),
  });
  const timelineOptions: TimelineServiceOptions = {
    engine,
    fleets: settings.fleets,
    gitlab: settings.gitlab,
    sources: set.gitlab,
    ...(options.openExternal ? { openExternal: options.openExternal } : {}),
    // A fleet's job metrics come from its Prometheus; the host may say otherwise.
    jobMetrics:
      options.jobMetrics ??
      ((fleet) =>
        settings.prometheus.some((p) => p.fleet === fleet.id)
          ? { available: true, reason: null }
          : { available: false, reason: 'No Prometheus configured for this fleet' }),
    ...(options.now ? { now: options.now } : {}),
  };
  const hostWarnings = () => [...info.warnings, ...(options.hostWarnings?.() ?? [])];
  if (!(options.actions ?? options.host !== 'cli')) {
    const timeline = disposables.add(new TimelineService(timelineOptions));
    return {
      engine,
      api: createApiHandlers({
        engine,
        info,
        timeline,
        warnings: hostWarnings,
        jobMetrics,
        ...extras,
        ...(options.settingsApi ? { settings: options.settingsApi } : {}),
      }),
      settings,
      jobMetrics,
      onAudit: () => toDisposable(() => undefined),
      alertState: () => alertStore.current(),
      refreshPrices,
      warnings: hostWarnings,
      dispose: () => disposables.dispose(),
    };
  }

  try {
    // Bounded and one line naming stateDir, before anything writes there.
    await prepareStateDir(expandHome(settings.stateDir));
    // One process acts on a state directory; see state-dir-lock.ts for why and its limits.
    const lock = disposables.add(
      await StateDirLock.open({
        dir: expandHome(settings.stateDir),
        command: options.host === 'electron' ? 'desktop app' : options.host,
      }),
    );
    const audit = new AuditLog({
      dir: expandHome(settings.stateDir),
      ...(options.now ? { now: options.now } : {}),
    });
    disposables.add(audit);
    const sshConfig = settings.probe.sshConfigFile
      ? await loadSshConfig(settings.probe.sshConfigFile).catch(() => emptySshConfig)
      : emptySshConfig;
    const targets = createTargetDirectory(settings, sshConfig);
    const reaper = disposables.add(
      await createReaper({
        settings,
        engine,
        secrets,
        audit,
        lock,
        remote: sshRemoteExec(set.pool, (alias) => targets.host(alias)),
        managerFor: (machine) =>
          settings.dockerMachine.find((d) => d.fleet === machine.fleet)?.manager ?? null,
        orphanFacts: () => orphanFacts(engine.snapshot().sources, (options.now ?? Date.now)()),
        ...(options.now ? { now: options.now } : {}),
      }),
    );
    // Finished jobs' metrics are saved as they finish, not only when someone opens them.
    if (settings.jobMetrics.autoSave && settings.prometheus.length > 0)
      disposables.add(jobMetrics.startSweeping());
    modeOf = (fleet) => reaper.mode(fleet.id);
    const runners = disposables.add(
      new RunnerService({
        runners: () => engine.snapshot().runners,
        admins: set.gitlab,
        audit,
        who: currentUser(),
        gate: lock,
      }),
    );
    const timeline = disposables.add(
      new TimelineService({ ...timelineOptions, audit: (request) => reaper.audit(request) }),
    );
    const warnings = () => [...hostWarnings(), ...reaper.warnings()];
    return {
      engine,
      api: createApiHandlers({
        engine,
        info,
        reaper,
        runners,
        timeline,
        warnings,
        jobMetrics,
        ...extras,
        ...(options.settingsApi ? { settings: options.settingsApi } : {}),
      }),
      settings,
      jobMetrics,
      onAudit: (listener) => audit.onRecord(listener),
      alertState: () => alertStore.current(),
      refreshPrices,
      warnings,
      dispose: () => disposables.dispose(),
    };
  } catch (error) {
    await disposables.dispose();
    throw error;
  }
}

function secretStoreOf(options: RuntimeOptions): Pick<ApiContext, 'secretStore'> {
  return options.secretStore ? { secretStore: options.secretStore } : {};
}
