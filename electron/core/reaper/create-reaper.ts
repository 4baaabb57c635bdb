import type { Settings } from '../../../shared/settings';
import { expandHome } from '../config/expand-home';
import { redactor } from '../errors/redact';
import { RwError } from '../errors/rw-error';
import type { SecretResolver } from '../runtime';
import { HcloudClient } from '../sources/hcloud/client';
import type { ActionRunner } from './actions/action';
import { CleanupAction } from './actions/cleanup';
import {
  fetchServerStatus,
  HcloudDeleteAction,
  type HcloudDeleteApi,
} from './actions/hcloud-delete';
import { MachineRmAction } from './actions/machine-rm';
import { createEngineRecheck, type RecheckEngine } from './engine-recheck';
import { identityFacts } from './identity';
import { managerListings, type OrphanFacts } from './orphans';
import { Reaper, type ReaperEngine, type ReaperOptions } from './reaper';
import { sshRemoteExec, type RemoteExec } from './remote-exec';
import type { Disposable } from '../lifecycle';
import { SshPool } from '../sources/ssh/pool';
import { emptySshConfig, loadSshConfig } from '../sources/ssh/ssh-config';
import { createTargetDirectory } from '../sources/ssh/targets';
import type { ReaperAction } from '../../../shared/proposal';
import { StateDirLock, type ActionGate } from '../state-lock/state-dir-lock';

/** What a host passes to run the reaper on its engine. */
export interface CreateReaperOptions {
  settings: Settings;
  engine: ReaperEngine & RecheckEngine;
  secrets: SecretResolver;
  /**
   * Commands on hosts (docker-machine rm on managers, dedicated-host cleanup). Default:
   * over SSH with a pool of the reaper's own (closed on dispose), hosts resolved through
   * the same target directory as the probe.
   */
  remote?: RemoteExec;
  /** Runner manager (SSH alias) of a docker-machine VM; default: the fleet's `dockerMachine` entry. */
  managerFor?: (machine: {
    name: string;
    fleet: string;
    labels: Record<string, string>;
  }) => string | null;
  fetch?: typeof fetch;
  now?: () => number;
  log?: (line: string) => void;
  shutdownGraceMs?: number;
  /** See `ReaperOptions.modeOverride`. */
  modeOverride?: ReaperOptions['modeOverride'];
  /** A shared audit log (the runtime's, also used by runner pruning); defaults to one in stateDir. */
  audit?: ReaperOptions['audit'];
  /** Keep state in memory only (the CLI's dry run must not change what the app resumes). */
  memoryState?: boolean;
  /** Overrides for tests (e.g. fast retries). */
  hcloud?: Partial<ConstructorParameters<typeof HcloudDeleteAction>[0]>;
  /**
   * The state directory's lock when the host took it (the runtime does, for runner pruning
   * too). Otherwise the reaper takes its own, named `lockCommand`, unless `memoryState`.
   */
  lock?: ActionGate | null;
  /** What this process is, shown to others that find the state directory locked. */
  lockCommand?: string;
  /**
   * The managers' machine lists and prices for the orphan rule; default: the lists from
   * the engine's docker-machine sources, unpriced.
   */
  orphanFacts?: () => OrphanFacts;
}

/**
 * The Hetzner API per inventory source id (`hetzner:<project>`), each with its project's
 * token, resolved on first use and registered with the redactor.
 */
export function hcloudApis(
  settings: Settings,
  secrets: SecretResolver,
  fetchFn?: typeof fetch,
): (source: string | null) => HcloudDeleteApi {
  const cache = new Map<
    string,
    Promise<{ client: HcloudClient; getServer: HcloudDeleteApi['getServer'] }>
  >();
  return (source) => {
    const project = settings.hetzner.find((h) => `hetzner:${h.id}` === source);
    if (!project)
      throw new RwError(
        'bad_input',
        `no Hetzner project configured for source ${source ?? '(none)'}`,
      );
    const get = () => {
      let entry = cache.get(project.id);
      if (!entry) {
        entry = secrets.resolve(project.token).then((token) => {
          redactor.register(token);
          const base = { apiUrl: project.apiUrl, token, ...(fetchFn ? { fetch: fetchFn } : {}) };
          return {
            client: new HcloudClient({
              ...base,
              project: project.id,
              timeoutMs: project.timeoutSec * 1000,
            }),
            getServer: fetchServerStatus(base),
          };
        });
        entry.catch(() => cache.delete(project.id));
        cache.set(project.id, entry);
      }
      return entry;
    };
    return {
      deleteServer: async (id, signal) => (await get()).client.deleteServer(id, signal),
      getAction: async (id, signal) => (await get()).client.getAction(id, signal),
      getServer: async (id, signal) => (await get()).getServer(id, signal),
    };
  };
}

/** Builds and starts the reaper for a runtime's engine and settings. */
export async function createReaper(options: CreateReaperOptions): Promise<Reaper> {
  const { settings } = options;
  const stateDir = expandHome(settings.stateDir);
  const actions: Partial<Record<ReaperAction, ActionRunner>> = {
    'hcloud-delete': new HcloudDeleteAction({
      api: hcloudApis(settings, options.secrets, options.fetch),
      ...options.hcloud,
    }),
  };
  const disposables: Disposable[] = [];
  let lock = options.lock ?? null;
  if (options.lock === undefined && !options.memoryState) {
    const own = await StateDirLock.open({
      dir: stateDir,
      command: options.lockCommand ?? 'reaper',
    });
    disposables.push(own);
    lock = own;
  }
  let remote = options.remote;
  if (!remote) {
    const pool = new SshPool({ secrets: options.secrets });
    disposables.push(pool);
    remote = sshHostsExec(settings, pool);
  }
  const pruneHours = new Map(
    settings.fleets.map((f) => [f.id, f.reaper.pruneImagesOlderThanHours]),
  );
  actions.cleanup = new CleanupAction({
    exec: remote,
    pruneHoursFor: (fleet) => pruneHours.get(fleet) ?? 72,
  });
  actions['machine-rm'] = new MachineRmAction(
    remote,
    options.managerFor ?? ((machine) => managerOf(settings, machine)),
  );
  const reaperOptions: ReaperOptions = {
    engine: options.engine,
    fleets: settings.fleets,
    stateDir,
    actions,
    recheck: createEngineRecheck(options.engine),
    // A gap longer than a reading may be old before it counts as stale breaks an idle run.
    history: {
      maxGapMs: Math.max(
        5 * 60_000,
        ...options.engine.snapshot().sources.map((source) => source.intervalMs * 3),
      ),
    },
    ...(options.now ? { now: options.now } : {}),
    ...(options.log ? { log: options.log } : {}),
    ...(options.shutdownGraceMs !== undefined ? { shutdownGraceMs: options.shutdownGraceMs } : {}),
    ...(options.modeOverride ? { modeOverride: options.modeOverride } : {}),
    ...(options.audit ? { audit: options.audit } : {}),
    ...(options.memoryState ? { store: null } : {}),
    disposables,
    // GitLab's runner managers come with the runner list; read them each cycle.
    identity: () => identityFacts(settings, options.engine.snapshot().runners),
    orphans:
      options.orphanFacts ??
      (() => ({
        listings: managerListings(
          settings,
          options.engine.snapshot().sources,
          (options.now ?? Date.now)(),
        ),
      })),
    lock,
  };
  try {
    return await Reaper.start(reaperOptions);
  } catch (error) {
    for (const item of disposables.reverse()) await item.dispose();
    throw error;
  }
}

/** The docker+machine manager that owns a VM: the fleet's entry whose name prefix fits. */
export function managerOf(
  settings: Settings,
  machine: { name: string; fleet: string },
): string | null {
  const entry = settings.dockerMachine.find(
    (d) =>
      d.fleet === machine.fleet &&
      (d.namePrefix === undefined || machine.name.startsWith(d.namePrefix)),
  );
  return entry?.manager ?? null;
}

/**
 * `RemoteExec` over SSH for the hosts of the settings (`sshHosts` aliases, docker-machine
 * managers), resolved through the probe's target directory, `~/.ssh/config` included
 * (read on each call, as the probe reads it each cycle).
 */
export function sshHostsExec(settings: Settings, pool: SshPool): RemoteExec {
  return {
    async exec(host, argv, options) {
      const config = settings.probe.sshConfigFile
        ? await loadSshConfig(settings.probe.sshConfigFile)
        : emptySshConfig;
      const directory = createTargetDirectory(settings, config);
      return sshRemoteExec(pool, (alias) => directory.host(alias)).exec(host, argv, options);
    },
  };
}
