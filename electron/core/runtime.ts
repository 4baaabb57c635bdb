import type { ApiHandlers, AppInfo } from '../../shared/api';
import type { SecretRef, Settings } from '../../shared/settings';
import { createApiHandlers, type SettingsApi } from './api';
import { AuditLog, currentUser } from './audit/audit-log';
import { expandHome } from './config/expand-home';
import { Engine } from './engine';
import { fleetPolicies } from './fleet/fleet-policy';
import { DisposableStore, type Disposable } from './lifecycle';
import { createReaper } from './reaper/create-reaper';
import { sshRemoteExec } from './reaper/remote-exec';
import { RunnerService } from './runners/runner-service';
import { createDockerMachineSource } from './sources/docker-machine/source';
import { createGitLabSources } from './sources/gitlab/create-gitlab-sources';
import type { GitLabSource } from './sources/gitlab/gitlab-source';
import { createHcloudSource } from './sources/hcloud/source';
import type { Source } from './sources/source';
import { SshPool } from './sources/ssh/pool';
import { createProbeSource } from './sources/ssh/probe-source';
import { emptySshConfig, loadSshConfig } from './sources/ssh/ssh-config';
import { createTargetDirectory } from './sources/ssh/targets';

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
  now?: () => number;
  /**
   * Run the reaper and runner pruning (audit log and state in `stateDir`). On by default
   * for the long-running hosts; CLI commands that only read (`scan`) leave it off, and
   * `reap` builds its own with a forced mode.
   */
  actions?: boolean;
  /** The Settings view's channels (the host's settings store); see `ReloadableRuntime`. */
  settingsApi?: SettingsApi;
}

/** The engine with its API, as every host uses it. */
export interface Runtime extends Disposable {
  engine: Engine;
  api: ApiHandlers;
  settings: Settings;
  dispose(): Promise<void>;
}

/** The collectors of a settings file, and what the reaper needs of them. */
export interface SourceSet {
  sources: Source[];
  gitlab: GitLabSource[];
  /** One SSH connection pool for the probe, docker-machine managers and reaper commands. */
  pool: SshPool;
}

/**
 * Builds one collector per configured source: a Hetzner source per project, a GitLab
 * source per instance, a docker-machine source per runner manager, and one SSH probe for
 * every fleet's machines and dedicated hosts (it probes whatever the inventories found).
 * The SSH sources share one pool, so a host is one connection whatever uses it.
 */
export function createSources(settings: Settings, secrets: SecretResolver): SourceSet {
  const pool = new SshPool({ secrets });
  const gitlab = createGitLabSources(settings, secrets);
  const sources: Source[] = [
    ...settings.hetzner.map((project) => createHcloudSource({ settings: project, secrets })),
    ...gitlab,
    ...settings.dockerMachine.map((dm) =>
      createDockerMachineSource({ settings, dm, secrets, pool }),
    ),
  ];
  if (settings.fleets.length > 0) sources.push(createProbeSource({ settings, secrets, pool }));
  return { sources, gitlab, pool };
}

/**
 * Builds the engine and its API from settings. The caller starts polling with
 * `runtime.engine.start()` (serve, Electron) or runs one cycle (`scan`). With `actions`,
 * the reaper follows the engine and runner pruning is available; both write one audit log.
 */
export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { settings, secrets } = options;
  const disposables = new DisposableStore();
  const set = createSources(settings, secrets);
  disposables.add(set.pool);
  // The mode in force comes from the reaper once it runs (run-time switches included).
  let modeOf = (fleet: Settings['fleets'][number]) => fleet.reaper.mode;
  const engine = disposables.add(
    new Engine({
      sources: set.sources,
      fleets: () => fleetPolicies(settings.fleets, (fleet) => modeOf(fleet)),
      ...(options.now ? { now: options.now } : {}),
    }),
  );
  const info: AppInfo = {
    name: 'Runner Watch',
    version: options.version,
    host: options.host === 'electron' ? 'electron' : 'serve',
    demo: options.demo,
    startedAt: (options.now ?? Date.now)(),
    warnings: options.warnings ?? [],
  };
  if (!(options.actions ?? options.host !== 'cli')) {
    return {
      engine,
      api: createApiHandlers({
        engine,
        info,
        ...(options.settingsApi ? { settings: options.settingsApi } : {}),
      }),
      settings,
      dispose: () => disposables.dispose(),
    };
  }

  try {
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
        remote: sshRemoteExec(set.pool, (alias) => targets.host(alias)),
        managerFor: (machine) =>
          settings.dockerMachine.find((d) => d.fleet === machine.fleet)?.manager ?? null,
        ...(options.now ? { now: options.now } : {}),
      }),
    );
    modeOf = (fleet) => reaper.mode(fleet.id);
    const runners = disposables.add(
      new RunnerService({
        runners: () => engine.snapshot().runners,
        admins: set.gitlab,
        audit,
        who: currentUser(),
      }),
    );
    return {
      engine,
      api: createApiHandlers({
        engine,
        info,
        reaper,
        runners,
        ...(options.settingsApi ? { settings: options.settingsApi } : {}),
      }),
      settings,
      dispose: () => disposables.dispose(),
    };
  } catch (error) {
    await disposables.dispose();
    throw error;
  }
}
