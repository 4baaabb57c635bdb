import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SettingsInput } from '../../shared/settings';
import { redactor } from '../../electron/core/errors/redact';
import { RealtimeClock, type SimClock } from './clock';
import { HcloudSim } from './hcloud-sim';
import { startWorldGitLab, type WorldGitLab } from './gitlab/from-world';
import { FleetWorld, MAX_SLOTS, type ScenarioOptions, type SimVmInfo } from './scenario';
import { SshSim } from './ssh-sim';
import { NodeExporterSim } from './node-exporter-sim';
import { startSimPrometheus, type SimPrometheus } from './prometheus-server';
import { renderRunnerMetrics, startRunnerMetricsSim } from './runner-metrics-sim';

/*
 * Starts the whole simulated fleet: the scenario world, the Hetzner API simulator kept in
 * sync with it, and one simulated SSH host per VM (127.0.1.<slot>) plus the runner manager
 * (127.0.0.2), and a GitLab instance fed by the world (test/sim/gitlab), all on loopback. Returns settings that point Runner Watch at them, the
 * token values for the settings' env references, and dispose() that stops everything.
 */

/** Options of the simulated fleet. */
export interface SimulatedFleetOptions {
  /** VMs at start and the autoscaler's limit, 1–24; default 8. */
  vms?: number;
  /** Seed of the scenario; default 1. */
  seed?: number;
  /** Scenario speed over the wall clock when no clock is given; default 1. */
  speed?: number;
  /** Drive the scenario yourself (a ManualClock in tests). Not disposed by the fleet. */
  clock?: SimClock;
  /** VMs stuck full at start (see ScenarioOptions.stuck). */
  stuck?: number;
  /** Orphaned servers (in Hetzner with the fleet's labels, unknown to docker-machine); default 0. */
  orphans?: number;
  /** History simulated before the start; default 2 h. */
  warmupMs?: number;
  /** How long a Hetzner delete action runs, in scenario ms; default 2000. */
  deleteDelayMs?: number;
  /** Hetzner requests per hour; default 3600. */
  rateLimitPerHour?: number;
  /**
   * Also start a GitLab instance fed by the world (its runner, manager, jobs and traces)
   * and add it to the settings; default true. False: Hetzner and SSH only.
   */
  gitlab?: boolean;
  /**
   * Also watch the runner manager: a dedicated fleet with the manager as SSH host and a
   * docker-machine source on it. `direct`: VMs are probed by their address;
   * `via-manager`: through the manager as jump host. Default: off.
   */
  dockerMachine?: 'direct' | 'via-manager';
  /**
   * Also serve node_exporter metrics per VM (from the same host state the SSH shims read)
   * and run a real Prometheus (`/usr/bin/prometheus`) scraping them; the settings get a
   * `prometheus` entry for the fleet. Default false.
   */
  prometheus?: boolean;
  /**
   * Also run a small docker-autoscaler fleet beside the docker+machine one: a
   * fleeting-plugin-hetzner instance group whose servers are `<group>-<8 hex>` at 127.0.6.n
   * (private network 127.0.7.n), its runner manager `<group>-mgr-1` at 127.0.0.6 in the
   * same Hetzner project (a look-alike the reaper must never delete), and its own runner
   * (#102) whose jobs' traces dial the instance. Its settings are what `import-toml`
   * proposes for such a runner. Default: off.
   */
  autoscaler?: FleetingOptions;
  /** Passed on to the scenario (idle count, builds per VM, job rate, projects…). */
  scenario?: Partial<
    Omit<ScenarioOptions, 'seed' | 'vms' | 'stuck' | 'warmupMs' | 'clock' | 'stateRoot'>
  >;
}

/** The docker-autoscaler fleet of `SimulatedFleetOptions.autoscaler`. */
export interface FleetingOptions {
  /** Instances at start and the group's limit, 1–16; default 3. */
  vms?: number;
  /** Instances stuck full at start; default 1. */
  stuck?: number;
  /** Instance group name (`plugin_config.name`); default `ci-fleet`. */
  instanceGroup?: string;
  /**
   * Which address the connector dials (`use_external_addr`): `private` (default, GitLab
   * Runner's own) — the instances' SSH listens on their private address only, as behind a
   * firewall — or `public`.
   */
  address?: 'public' | 'private';
  /** Used % of the manager's root disk; default 70 (over the kill threshold, yet never a kill). */
  managerDiskPct?: number;
}

/** The running docker-autoscaler fleet. */
export interface SimulatedFleeting {
  world: FleetWorld;
  /** The manager: `<group>-mgr-1` in Hetzner, answering SSH at this address. */
  manager: { name: string; address: string; serverId: number; stateDir: string };
  address: 'public' | 'private';
}

/** The running simulated fleet. */
export interface SimulatedFleet {
  /** Settings as written (before defaults): one fleet, one Hetzner project, SSH access. */
  settings: SettingsInput;
  /** Values of the env references in `settings` (the Hetzner token). */
  env: Record<string, string>;
  world: FleetWorld;
  clock: SimClock;
  hcloud: HcloudSim;
  ssh: SshSim;
  /** The world-fed GitLab simulator, or null with `gitlab: false`. */
  gitlab: WorldGitLab | null;
  /** The Prometheus scraping the VMs' exporters, or null without `prometheus`. */
  prometheus: SimPrometheus | null;
  /** The runner manager host (docker-machine ls / rm over SSH). */
  manager: { address: string; port: number; stateDir: string };
  /** The docker-autoscaler fleet, or null without `autoscaler`. */
  fleeting: SimulatedFleeting | null;
  /** Temp directory holding host states, keys and known_hosts; removed by dispose(). */
  root: string;
  /** Resolves when SSH listeners started by recent world changes are up. */
  settled(): Promise<void>;
  /** Errors of background work (an SSH listener that failed to start); empty when all is well. */
  readonly errors: Error[];
  dispose(): Promise<void>;
}

/** Fleet id in the settings. */
export const SIM_FLEET_ID = 'sim-hetzner';
/** Hetzner entry id in the settings. */
export const SIM_HCLOUD_ID = 'sim-hcloud';
/** The env variable the settings name for the Hetzner token. */
export const SIM_HCLOUD_TOKEN_ENV = 'RW_SIM_HCLOUD_TOKEN';
/** Fleet id of the runner manager (with `dockerMachine`). */
export const SIM_MANAGER_FLEET_ID = 'sim-managers';
/** SSH alias of the runner manager (with `dockerMachine`). */
export const SIM_MANAGER_ALIAS = 'runner-manager-1';
/** Prometheus entry id in the settings (with `prometheus`). */
export const SIM_PROMETHEUS_ID = 'sim-prometheus';
/** Scrape interval of the simulated fleet's Prometheus. */
const SIM_SCRAPE_SEC = 5;
/** Label every autoscaled server carries (docker-machine's `hetzner-server-label`). */
export const SIM_LABEL_SELECTOR = 'role=ci-runner';
/** Fleet id of the docker-autoscaler fleet (with `autoscaler`). */
export const SIM_FLEETING_FLEET_ID = 'sim-fleeting';
/** Hetzner entry id of the docker-autoscaler fleet (with `autoscaler`). */
export const SIM_FLEETING_HCLOUD_ID = 'sim-hcloud-fleeting';
/** Where the docker-autoscaler fleet lives: instances 127.0.6.n (private 127.0.7.n), manager 127.0.0.6. */
const FLEETING_BLOCK = 6;
const FLEETING_MANAGER_ADDRESS = '127.0.0.6';

/** Starts the simulated fleet. Everything it starts is stopped by `dispose()`. */
export async function startSimulatedFleet(
  options: SimulatedFleetOptions = {},
): Promise<SimulatedFleet> {
  if (options.speed !== undefined && options.clock !== undefined)
    throw new RangeError('give either speed or clock, not both');
  const root = mkdtempSync(join(tmpdir(), 'rw-sim-fleet-'));
  const ownClock = options.clock === undefined;
  const clock = options.clock ?? new RealtimeClock({ speed: options.speed ?? 1 });
  const pending = new Set<Promise<void>>();
  const errors: Error[] = [];
  let hcloud: HcloudSim | undefined;
  let ssh: SshSim | undefined;
  let world: FleetWorld | undefined;
  let fleetingWorld: FleetWorld | undefined;
  let fleeting: SimulatedFleeting | null = null;
  let gitlab: WorldGitLab | null = null;
  let exporter: NodeExporterSim | undefined;
  let prometheus: SimPrometheus | null = null;
  let runnerMetrics: { url: string; dispose(): Promise<void> } | undefined;

  let disposed = false;
  const dispose = async () => {
    if (disposed) return;
    disposed = true;
    try {
      world?.dispose();
      fleetingWorld?.dispose();
      if (ownClock) clock.dispose();
      await Promise.allSettled([...pending]);
      // each one is stopped even when another fails
      const results = await Promise.allSettled([
        prometheus?.dispose(),
        exporter?.dispose(),
        runnerMetrics?.dispose(),
        gitlab?.dispose(),
        ssh?.dispose(),
        hcloud?.dispose(),
      ]);
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed.length > 0)
        throw new AggregateError(
          failed.map((f) => f.reason as unknown),
          'simulated fleet: some parts failed to stop',
        );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };

  try {
    world = new FleetWorld({
      ...options.scenario,
      seed: options.seed,
      vms: options.vms,
      stuck: options.stuck,
      orphans: options.orphans,
      warmupMs: options.warmupMs,
      clock,
      stateRoot: join(root, 'hosts'),
    });
    const w = world;
    const fo = options.autoscaler;
    if (fo) {
      const group = fo.instanceGroup ?? 'ci-fleet';
      fleetingWorld = new FleetWorld({
        seed: (options.seed ?? 1) + 1000,
        vms: fo.vms ?? 3,
        stuck: fo.stuck ?? 1,
        warmupMs: options.warmupMs,
        clock,
        stateRoot: join(root, 'hosts-fleeting'),
        executor: 'docker-autoscaler',
        instanceGroup: group,
        addressBlock: FLEETING_BLOCK,
        managerAddress: FLEETING_MANAGER_ADDRESS,
        managerHostname: `${group}-mgr-1`,
        managerDiskPct: fo.managerDiskPct ?? 70,
        runnerId: 102,
        firstJobId: 80_001,
        ...(options.scenario?.gitlabUrl ? { gitlabUrl: options.scenario.gitlabUrl } : {}),
      });
    }
    const fw = fleetingWorld;
    hcloud = await HcloudSim.start({
      now: () => clock.now(),
      deleteDelayMs: options.deleteDelayMs,
      rateLimitPerHour: options.rateLimitPerHour,
    });
    const h = hcloud;
    const { token } = h.tokensOf();
    redactor.register(token);
    ssh = await SshSim.start({
      hosts: [
        { address: w.runner.managerAddress, stateDir: w.managerStateDir, name: 'runner-manager-1' },
        ...(fw
          ? [
              {
                address: fw.runner.managerAddress,
                stateDir: fw.managerStateDir,
                name: fw.runner.managerHostname,
              },
            ]
          : []),
      ],
    });
    const s = ssh;
    const fleetingAddress = fo?.address ?? 'private';
    // every VM slot gets its key now, so known_hosts covers VMs created later
    s.reserveHostKeys(Array.from({ length: MAX_SLOTS }, (_, i) => `127.0.1.${i + 1}`));
    // fleeting instances answer SSH only at the address their connector dials
    const fleetingBlock = fleetingAddress === 'private' ? FLEETING_BLOCK + 1 : FLEETING_BLOCK;
    if (fw)
      s.reserveHostKeys(
        Array.from({ length: MAX_SLOTS }, (_, i) => `127.0.${fleetingBlock}.${i + 1}`),
      );
    const knownHosts = join(root, 'known_hosts');
    s.writeKnownHosts(knownHosts);

    // servers in the project that are not the fleet's: the label selector must skip them
    h.addServer('default', {
      name: 'runner-manager-1',
      labels: { role: 'runner-manager' },
      publicIp: w.runner.managerAddress,
      serverType: 'cx32',
      createdMs: w.runner.createdAt,
    });
    h.addServer('default', {
      name: 'db-backup-1',
      labels: { role: 'backup' },
      publicIp: '127.0.3.1',
      createdMs: w.runner.createdAt,
    });

    if (options.prometheus) exporter = await NodeExporterSim.start({ now: () => clock.now() });
    const ex = exporter;
    const serverIds = new Map<string, number>();
    const track = (work: Promise<void>) => {
      const p = work.catch((error: unknown) => {
        errors.push(error instanceof Error ? error : new Error(String(error)));
      });
      pending.add(p);
      void p.finally(() => pending.delete(p));
    };
    const labels = {
      role: 'ci-runner',
      'managed-by': 'docker-machine',
      runner: w.runner.description,
    };
    h.onServerDeleted((server) => {
      serverIds.delete(server.name);
      w.serverGone(server.name);
      fw?.serverGone(server.name);
    });
    w.start({
      vmCreated: (vm: SimVmInfo) => {
        const server = h.addServer('default', {
          name: vm.name,
          status: vm.state === 'creating' ? 'initializing' : 'running',
          createdMs: vm.createdAt,
          labels,
          publicIp: vm.address,
          privateIps: [vm.privateAddress],
          serverType: w.serverType,
        });
        serverIds.set(vm.name, server.id);
        // clients that file VM host keys under the machine name (HostKeyAlias) find it too
        appendFileSync(knownHosts, s.knownHostsLineAs(vm.name, vm.address) + '\n');
      },
      vmRunning: (vm) => {
        const id = serverIds.get(vm.name);
        if (id !== undefined) h.setStatus(id, 'running');
        track(s.addHost({ address: vm.address, stateDir: vm.stateDir, name: vm.name }));
        if (ex) {
          track(
            ex.addHost(vm.address, vm.stateDir).then(() => prometheus?.setTargets(ex.targets())),
          );
        }
      },
      vmRemoved: (vm) => {
        const id = serverIds.get(vm.name);
        serverIds.delete(vm.name);
        if (id !== undefined) h.removeServer(id);
        track(s.removeHost(vm.address));
        if (ex) {
          track(ex.removeHost(vm.address).then(() => prometheus?.setTargets(ex.targets())));
        }
      },
      stepped: () => {
        h.settle();
        for (const server of h.list('default'))
          if (server.status === 'deleting') w.markDeleting(server.name);
      },
    });
    if (fw) {
      const group = fw.instanceGroup ?? 'ci-fleet';
      // The manager sits in the same project under a name that starts like the group's:
      // listed by the `<group>-` prefix, it must still never be deleted.
      const managerServer = h.addServer('default', {
        name: fw.runner.managerHostname,
        labels: { role: 'runner-manager' },
        publicIp: fw.runner.managerAddress,
        serverType: 'cx32',
        createdMs: fw.runner.createdAt,
      });
      fleeting = {
        world: fw,
        manager: {
          name: fw.runner.managerHostname,
          address: fw.runner.managerAddress,
          serverId: managerServer.id,
          stateDir: fw.managerStateDir,
        },
        address: fleetingAddress,
      };
      const dial = (vm: SimVmInfo) =>
        fleetingAddress === 'private' ? vm.privateAddress : vm.address;
      fw.start({
        vmCreated: (vm) => {
          // fleeting-plugin-hetzner labels every server with its group; the id is the world's
          h.addServer('default', {
            ...(vm.serverId !== undefined ? { id: vm.serverId } : {}),
            name: vm.name,
            status: vm.state === 'creating' ? 'initializing' : 'running',
            createdMs: vm.createdAt,
            labels: { 'instance-group': group },
            publicIp: vm.address,
            privateIps: [vm.privateAddress],
            serverType: fw.serverType,
            datacenter: 'hel1-dc2',
          });
          if (vm.serverId !== undefined) serverIds.set(vm.name, vm.serverId);
          appendFileSync(knownHosts, s.knownHostsLineAs(vm.name, dial(vm)) + '\n');
        },
        vmRunning: (vm) => {
          const id = serverIds.get(vm.name);
          if (id !== undefined) h.setStatus(id, 'running');
          track(s.addHost({ address: dial(vm), stateDir: vm.stateDir, name: vm.name }));
        },
        vmRemoved: (vm) => {
          const id = serverIds.get(vm.name);
          serverIds.delete(vm.name);
          if (id !== undefined) h.removeServer(id);
          track(s.removeHost(dial(vm)));
        },
        stepped: () => {
          for (const server of h.list('default'))
            if (server.status === 'deleting') fw.markDeleting(server.name);
        },
      });
    }
    await Promise.all([...pending]);
    if (ex) {
      prometheus = await startSimPrometheus({
        dir: join(root, 'prometheus'),
        targets: ex.targets(),
        scrapeIntervalSec: SIM_SCRAPE_SEC,
      });
      // the runner manager's own metrics endpoint (listen_address), for the fleet counters
      const concurrent = options.vms ?? 8;
      runnerMetrics = await startRunnerMetricsSim({
        address: w.runner.managerAddress,
        page: () => renderRunnerMetrics(w.vms(), w.runner, concurrent),
      });
    }
    // after world.start(): on every tick the world steps first, then GitLab copies it
    if (options.gitlab ?? true) {
      gitlab = await startWorldGitLab(w, clock, {
        intervalSec: 10,
        ...(fw ? { alsoWorlds: [fw] } : {}),
      });
      for (const value of Object.values(gitlab.env)) redactor.register(value);
    }

    const access = {
      user: s.user,
      port: s.sharedPort,
      identityFiles: [s.clientKeyFile],
      useAgent: false,
      knownHostsFile: knownHosts,
      trustOnFirstUse: false,
      connectTimeoutSec: 5,
      commandTimeoutSec: 10,
    };
    const namePrefix = `runner-${w.runner.tokenPrefix}-auto-scale-`;
    const dm = options.dockerMachine;
    const settings: SettingsInput = {
      fleets: [
        {
          id: SIM_FLEET_ID,
          name: 'Simulated Hetzner fleet (docker+machine)',
          kind: 'autoscaled',
          watchedMounts: ['/', '/var/lib/docker'],
          ssh: access,
        },
        ...(fleeting
          ? [
              {
                id: SIM_FLEETING_FLEET_ID,
                name: 'Simulated Hetzner fleet (docker-autoscaler)',
                kind: 'autoscaled' as const,
                watchedMounts: ['/', '/var/lib/docker'],
                // as import-toml proposes it for this runner's config.toml
                autoscaler: {
                  namePrefixes: [`${fleeting.world.instanceGroup ?? 'ci-fleet'}-`],
                  instanceGroups: [fleeting.world.instanceGroup ?? 'ci-fleet'],
                  address: fleeting.address,
                },
                ssh: access,
              },
            ]
          : []),
        ...(dm
          ? [
              {
                id: SIM_MANAGER_FLEET_ID,
                name: 'Runner managers (simulated)',
                kind: 'dedicated' as const,
                watchedMounts: ['/'],
                ssh: access,
              },
            ]
          : []),
      ],
      hetzner: [
        {
          id: SIM_HCLOUD_ID,
          fleet: SIM_FLEET_ID,
          token: { env: SIM_HCLOUD_TOKEN_ENV },
          apiUrl: h.url,
          labelSelector: SIM_LABEL_SELECTOR,
          namePrefix,
          intervalSec: 10,
        },
        // the fleeting runner's own plugin_config token, here the same project's
        ...(fleeting
          ? [
              {
                id: SIM_FLEETING_HCLOUD_ID,
                fleet: SIM_FLEETING_FLEET_ID,
                token: { env: SIM_HCLOUD_TOKEN_ENV },
                apiUrl: h.url,
                namePrefix: `${fleeting.world.instanceGroup ?? 'ci-fleet'}-`,
                intervalSec: 10,
              },
            ]
          : []),
      ],
      gitlab: gitlab ? [gitlab.settings] : [],
      sshHosts: dm
        ? [{ alias: SIM_MANAGER_ALIAS, fleet: SIM_MANAGER_FLEET_ID, host: w.runner.managerAddress }]
        : [],
      dockerMachine: dm
        ? [
            {
              id: 'sim-docker-machine',
              fleet: SIM_FLEET_ID,
              manager: SIM_MANAGER_ALIAS,
              namePrefix,
              viaManager: dm === 'via-manager',
              intervalSec: 10,
            },
          ]
        : [],
      prometheus: prometheus
        ? [
            {
              id: SIM_PROMETHEUS_ID,
              fleet: SIM_FLEET_ID,
              url: prometheus.url,
              // the exporters' instance label is `<VM address>:<port>`
              machineLabel: 'instance',
              stripPort: true,
              matchers: 'job="node"',
              scrapeIntervalSec: SIM_SCRAPE_SEC,
              intervalSec: 10,
            },
          ]
        : [],
      runnerMetrics: runnerMetrics
        ? [{ id: 'sim-runner', fleet: SIM_FLEET_ID, url: runnerMetrics.url, intervalSec: 10 }]
        : [],
      probe: { intervalSec: 10, sshConfigFile: null },
      stateDir: join(root, 'runner-watch-state'),
    };
    return {
      settings,
      env: { [SIM_HCLOUD_TOKEN_ENV]: token, ...(gitlab?.env ?? {}) },
      world: w,
      clock,
      hcloud: h,
      ssh: s,
      gitlab,
      prometheus,
      manager: {
        address: w.runner.managerAddress,
        port: s.sharedPort,
        stateDir: w.managerStateDir,
      },
      fleeting,
      root,
      errors,
      settled: async () => {
        while (pending.size > 0) await Promise.all([...pending]);
      },
      dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}
