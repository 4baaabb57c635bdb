import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { shortenRunnerToken } from '../../electron/core/config/runner-toml';
import type { SimClock } from './clock';
import {
  RUNNER_LABEL,
  changedSinceWritten,
  readHostState,
  writeHostState,
  type HostState,
  type SimImage,
  type SimVolume,
} from './host-state';

/*
 * The world of a simulated docker+machine fleet on Hetzner: one runner manager, 1–24
 * autoscaled VMs named the way GitLab Runner names them, jobs of several projects that are
 * assigned to idle VMs, run, grow the VM's disk (images, build layers, cache volumes) and
 * finish; VMs created and removed like docker+machine does (IdleCount, IdleTime, MaxBuilds),
 * and some VMs stuck full (disk ≥ 85 % and idle) that the autoscaler never removes — the
 * problem Runner Watch exists for.
 *
 * Everything random comes from one seeded generator and the world moves in fixed steps of
 * scenario time, so the same seed and the same total time give the same world, however the
 * clock was ticked. The world writes every host's state (host-state.ts) after each step and
 * reads back what shims changed (a removed volume, `docker-machine rm`).
 *
 * The runner and job shapes are plain data, so the GitLab simulator can be fed from them.
 *
 * With `executor: 'docker-autoscaler'` the same world is a fleeting-plugin-hetzner instance
 * group instead: VMs named `<group>-<8 hex>`, no docker-machine on the manager, and jobs
 * whose traces dial `<name>:<server id>`; the autoscaling rules stay (idle_count,
 * idle_time, max_use_count behave like IdleCount, IdleTime, MaxBuilds).
 */

/** A project whose jobs run on the fleet. */
export interface SimProject {
  id: number;
  path: string;
  /** Job images, pulled on first use per VM. */
  images: string[];
  jobNames: string[];
}

/** The runner (docker+machine) the fleet belongs to. */
export interface SimRunnerInfo {
  id: number;
  description: string;
  /** `glrt-…` authentication token (simulator-only value). */
  token: string;
  /**
   * What machine names carry: GitLab Runner's `ShortenToken`, which for a `glrt-` token is
   * the 9 characters after the prefix (helpers/token.go).
   */
  tokenPrefix: string;
  systemId: string;
  /** Loopback address of the runner manager host. */
  managerAddress: string;
  version: string;
  revision: string;
  tags: string[];
  executor: 'docker+machine' | 'docker-autoscaler';
  /** The manager's own hostname (a docker-autoscaler trace prints it after `via`). */
  managerHostname: string;
  /** Last contact with GitLab (ms), i.e. the last step. */
  contactedAt: number;
  createdAt: number;
}

/** Job states. */
export type SimJobStatus = 'pending' | 'running' | 'success' | 'failed' | 'canceled';

/** One CI job in the scenario. */
export interface SimJobInfo {
  id: number;
  runnerId: number;
  systemId: string;
  projectId: number;
  projectPath: string;
  pipelineId: number;
  name: string;
  stage: string;
  ref: string;
  sha: string;
  user: string;
  status: SimJobStatus;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** The VM the job ran on (trace `via <machine>`), null while pending. */
  machine: string | null;
  /** The job's build container on that VM. */
  containerName: string | null;
  image: string;
  webUrl: string;
  /** Why a job failed, e.g. `no space left on device`. */
  failureReason: string | null;
  /**
   * docker-autoscaler: the fleeting instance id the trace dials, `<server name>:<server id>`
   * (fleeting-plugin-hetzner's IID); absent for docker+machine.
   */
  instanceId?: string;
}

/** Life-cycle of a VM. */
export type SimVmState = 'creating' | 'running' | 'deleting' | 'gone';

/** A VM as the scenario exposes it (plain data). */
export interface SimVmInfo {
  name: string;
  /** Slot 1–24: the VM listens on 127.0.1.<slot>, its private address is 127.0.2.<slot> (see `addressBlock`). */
  slot: number;
  address: string;
  privateAddress: string;
  state: SimVmState;
  createdAt: number;
  builds: number;
  /** Full (≥ 85 %) and idle; the autoscaler does not remove it. */
  stuck: boolean;
  /** A server of the fleet that no runner manager accounts for (not in docker-machine ls). */
  orphan: boolean;
  runningJobId: number | null;
  /** df's Use% of `/`. */
  diskUsedPct: number;
  idleSince: number | null;
  stateDir: string;
  /** docker-autoscaler: the Hetzner server id the world chose (part of the instance id). */
  serverId?: number;
}

/** Options of the world. */
export interface ScenarioOptions {
  /** Seed of every random choice; default 1. */
  seed?: number;
  /** VMs at start, and the autoscaler's limit; 1–24, default 8. */
  vms?: number;
  /** VMs stuck full at start; default max(1, vms/4) for vms ≥ 2, else 0. */
  stuck?: number;
  /** Orphaned servers besides the VMs (labelled and named like them, unknown to the manager); default 0. vms + orphans ≤ 24. */
  orphans?: number;
  /** Directory for the hosts' state directories (one per VM and one for the manager). */
  stateRoot: string;
  clock: SimClock;
  /** docker+machine settings: idle machines kept, how long idle ones live, builds per machine. */
  idleCount?: number;
  idleTimeSec?: number;
  maxBuilds?: number;
  /** New jobs per hour (in pipelines of 1–3); default vms × 3. */
  jobsPerHour?: number;
  /** Scenario time simulated before the start, for history (jobs, grown disks); default 2 h. */
  warmupMs?: number;
  /** Base URL for job web URLs; default http://127.0.0.3 (the GitLab simulator may differ). */
  gitlabUrl?: string;
  projects?: SimProject[];
  /** Loopback address of the manager; default 127.0.0.2. */
  managerAddress?: string;
  /** Server type of the VMs (disk size follows); default cx22 (40 GB). */
  serverType?: 'cx22' | 'cx32' | 'cx42';
  /** Used % of the runner manager's root disk; default about 26 %. */
  managerDiskPct?: number;
  /**
   * The executor that creates the VMs. `docker+machine` (default): VMs named
   * `runner-<token8>-auto-scale-<unix>-<8 hex>`, listed by `docker-machine ls` on the manager.
   * `docker-autoscaler`: fleeting-plugin-hetzner's instances `<instanceGroup>-<8 hex>`, no
   * docker-machine; traces name the instance (`Dialing instance <name>:<server id>...`).
   */
  executor?: 'docker+machine' | 'docker-autoscaler';
  /** docker-autoscaler: the instance group name (`plugin_config.name`); default `ci-fleet`. */
  instanceGroup?: string;
  /** Third octet of the VMs' addresses: 127.0.<n>.<slot>, private 127.0.<n+1>.<slot>; default 1. */
  addressBlock?: number;
  /** GitLab id of the world's runner; default 101. Give each world of one GitLab its own. */
  runnerId?: number;
  /** First job id; default 70001. Give each world of one GitLab its own range. */
  firstJobId?: number;
  /** The runner manager's hostname; default `runner-manager-1`. */
  managerHostname?: string;
}

/** What the world tells the outside about VMs (the launcher syncs Hetzner and SSH from it). */
export interface ScenarioHooks {
  vmCreated?(vm: SimVmInfo): void;
  vmRunning?(vm: SimVmInfo): void;
  /** The VM is gone; `reason` says who removed it. */
  vmRemoved?(
    vm: SimVmInfo,
    reason: 'autoscaler' | 'max-builds' | 'docker-machine-rm' | 'hetzner-delete',
  ): void;
  /** After every step (and after warm-up). */
  stepped?(nowMs: number): void;
}

/** Everything the world holds, as plain data. */
export interface WorldSnapshot {
  now: number;
  runner: SimRunnerInfo;
  projects: SimProject[];
  vms: SimVmInfo[];
  jobs: SimJobInfo[];
}

/** Thrown for scenario options that cannot work; says which. */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
}

/** The scenario moves in steps of this much scenario time. */
export const STEP_MS = 5_000;
const GB = 1_000_000_000;
const MIN = 60_000;
const HOUR = 3_600_000;
/** Where a VM counts as stuck full (df's Use%). */
export const STUCK_PCT = 85;
const KEEP_FINISHED_MS = 24 * HOUR;
/** Servers at once (VMs and orphans): slot n listens on 127.0.1.n. */
export const MAX_SLOTS = 24;

/** Default projects: several groups, images and job names. */
export const DEFAULT_PROJECTS: readonly SimProject[] = [
  {
    id: 42,
    path: 'acme/web-shop',
    images: ['node:20-bookworm', 'cypress/included:13.6.0'],
    jobNames: ['install', 'lint', 'test:unit', 'test:e2e', 'build'],
  },
  {
    id: 43,
    path: 'acme/payments-api',
    images: ['golang:1.22', 'postgres:16'],
    jobNames: ['vet', 'test', 'integration', 'build:image'],
  },
  {
    id: 57,
    path: 'platform/infra',
    images: ['hashicorp/terraform:1.9', 'alpine:3.20'],
    jobNames: ['fmt', 'validate', 'plan'],
  },
  {
    id: 88,
    path: 'data/etl-jobs',
    images: ['python:3.12', 'python:3.12-slim'],
    jobNames: ['pytest', 'mypy', 'package'],
  },
  {
    id: 91,
    path: 'mobile/android-app',
    images: ['cimg/android:2024.04'],
    jobNames: ['assembleDebug', 'unitTests', 'lintVitalRelease'],
  },
];
const USERS = ['alice', 'bob', 'chen', 'dana', 'emeka', 'farah'];
const REFS = [
  'main',
  'main',
  'main',
  'develop',
  'feature/checkout-v2',
  'fix/flaky-e2e',
  'refs/merge-requests/311/head',
];
const STAGES: Record<string, string> = {
  install: 'prepare',
  lint: 'test',
  fmt: 'test',
  vet: 'test',
  validate: 'test',
  mypy: 'test',
};

/** mulberry32: small, fast, good enough, and the same on every platform. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface VmImage {
  ref: string;
  id: string;
  sizeBytes: number;
  created: number;
}
interface VmVolume {
  name: string;
  sizeBytes: number;
}
interface VmContainer {
  id: string;
  name: string;
  image: string;
  created: number;
  state: 'running' | 'exited';
  exitCode: number;
  /** Unix seconds it stopped (what `docker ps -a` and `docker inspect` report). */
  finished?: number;
  labels: Record<string, string>;
  volumes: string[];
  /** Bytes written to its layer and build directory. */
  layerBytes: number;
  /** Growth per step while running. */
  growthPerStep: number;
}
interface Vm {
  name: string;
  slot: number;
  state: SimVmState;
  createdAt: number;
  runningAt: number;
  builds: number;
  stuck: boolean;
  orphan: boolean;
  job: SimJobInfo | null;
  idleSince: number | null;
  images: VmImage[];
  volumes: VmVolume[];
  containers: VmContainer[];
  /** Bytes the OS, logs and leftovers take outside Docker. */
  baseBytes: number;
  stateDir: string;
  /** For docker-machine ls after a Hetzner delete: listed in Error until this time. */
  errorUntil: number | null;
  /** docker-autoscaler: the Hetzner server id chosen for the instance id. */
  serverId?: number;
}

/** The scenario world. Drive it with its clock; read it with snapshot(). */
export class FleetWorld {
  readonly runner: SimRunnerInfo;
  /** docker-autoscaler: the instance group; null for docker+machine. */
  readonly instanceGroup: string | null;
  private readonly addressBlock: number;
  private nextServerId = 60_000_001;
  readonly projects: SimProject[];
  readonly managerStateDir: string;
  readonly serverType: 'cx22' | 'cx32' | 'cx42';
  private readonly managerDiskPct: number | null;

  private random: () => number;
  private readonly vmsById = new Map<string, Vm>();
  private readonly jobs: SimJobInfo[] = [];
  /** When each running job ends (scenario ms). */
  private readonly dueAt = new Map<number, number>();
  private readonly limit: number;
  private readonly idleCount: number;
  private readonly idleTimeMs: number;
  private readonly maxBuilds: number;
  private readonly jobsPerStep: number;
  private readonly gitlabUrl: string;
  private readonly diskBytes: number;
  private readonly stateRoot: string;
  private hooks: ScenarioHooks = {};
  private time: number;
  private nextJobId: number;
  private nextPipelineId: number;
  private writing = false;
  private unsubscribe: (() => void) | null = null;
  /** What the last write of each VM held, to tell a shim's removal from a new item. */
  private readonly lastWritten = new Map<string, { volumes: Set<string>; images: Set<string> }>();
  /** Machines the manager's last write listed. */
  private lastListed = new Set<string>();
  /** Machines `docker-machine ls` lists in Error state after their server vanished. */
  private readonly ghosts: Vm[] = [];
  /** `docker-machine ls` reads an empty machine store (see `loseMachineStore`). */
  private storeLost = false;

  constructor(private readonly options: ScenarioOptions) {
    const vms = options.vms ?? 8;
    if (!Number.isInteger(vms) || vms < 1 || vms > MAX_SLOTS)
      throw new ScenarioError(`vms must be an integer from 1 to ${MAX_SLOTS}, got ${vms}`);
    const seed = options.seed ?? 1;
    if (!Number.isInteger(seed)) throw new ScenarioError(`seed must be an integer, got ${seed}`);
    const stuck = options.stuck ?? (vms >= 2 ? Math.max(1, Math.floor(vms / 4)) : 0);
    const orphans = options.orphans ?? 0;
    if (!Number.isInteger(orphans) || orphans < 0 || vms + orphans > MAX_SLOTS)
      throw new ScenarioError(
        `orphans must be an integer from 0 to ${MAX_SLOTS - vms} (vms + orphans ≤ ${MAX_SLOTS}), got ${orphans}`,
      );
    if (!Number.isInteger(stuck) || stuck < 0 || stuck > vms)
      throw new ScenarioError(`stuck must be an integer from 0 to vms (${vms}), got ${stuck}`);
    const projects =
      options.projects ??
      DEFAULT_PROJECTS.map((p) => ({ ...p, images: [...p.images], jobNames: [...p.jobNames] }));
    if (projects.length === 0) throw new ScenarioError('a scenario needs at least one project');
    for (const p of projects) {
      if (p.images.length === 0 || p.jobNames.length === 0)
        throw new ScenarioError(`project ${p.path} needs at least one image and one job name`);
    }
    const managerAddress = options.managerAddress ?? '127.0.0.2';
    const executor = options.executor ?? 'docker+machine';
    const group = options.instanceGroup ?? 'ci-fleet';
    if (executor === 'docker-autoscaler' && !/^[a-z0-9][a-z0-9-]{0,40}$/.test(group))
      throw new ScenarioError(
        `instanceGroup must be lower-case letters, digits and "-", got ${group}`,
      );
    this.instanceGroup = executor === 'docker-autoscaler' ? group : null;
    const block = options.addressBlock ?? 1;
    if (!Number.isInteger(block) || block < 1 || block > 253)
      throw new ScenarioError(`addressBlock must be an integer from 1 to 253, got ${block}`);
    this.addressBlock = block;
    const firstJobId = options.firstJobId ?? 70_001;
    if (!Number.isInteger(firstJobId) || firstJobId < 1)
      throw new ScenarioError(`firstJobId must be a positive integer, got ${firstJobId}`);
    this.nextJobId = firstJobId;
    // pipelines follow the job range, so two worlds of one GitLab never share one
    this.nextPipelineId = 9_001 + (firstJobId - 70_001);
    if (!/^127\.\d+\.\d+\.\d+$/.test(managerAddress))
      throw new ScenarioError(`the manager address must be loopback, got ${managerAddress}`);
    this.random = rng(seed);
    this.projects = projects;
    this.limit = vms;
    this.idleCount = options.idleCount ?? Math.max(1, Math.ceil(vms / 3));
    this.idleTimeMs = (options.idleTimeSec ?? 1800) * 1000;
    this.maxBuilds = options.maxBuilds ?? 20;
    // a pipeline brings two jobs on average
    this.jobsPerStep = ((options.jobsPerHour ?? vms * 3) * STEP_MS) / HOUR / 2;
    this.gitlabUrl = (options.gitlabUrl ?? 'http://127.0.0.3').replace(/\/$/, '');
    this.serverType = options.serverType ?? 'cx22';
    if (
      options.managerDiskPct !== undefined &&
      !(options.managerDiskPct >= 0 && options.managerDiskPct <= 100)
    )
      throw new ScenarioError(`managerDiskPct must be 0–100, got ${options.managerDiskPct}`);
    this.managerDiskPct = options.managerDiskPct ?? null;
    this.diskBytes = { cx22: 40, cx32: 80, cx42: 160 }[this.serverType] * GB;
    this.stateRoot = options.stateRoot;
    const warmup = options.warmupMs ?? 2 * HOUR;
    if (!(warmup >= 0)) throw new ScenarioError(`warmupMs must be >= 0, got ${warmup}`);
    const start = options.clock.now();
    this.time = start - Math.floor(warmup / STEP_MS) * STEP_MS;

    const token = 'glrt-' + this.chars(20);
    this.runner = {
      id: options.runnerId ?? 101,
      description: executor === 'docker-autoscaler' ? 'hetzner-fleeting-1' : 'hetzner-autoscale-1',
      token,
      tokenPrefix: shortenRunnerToken(token),
      systemId: 's_' + this.hex(12),
      managerAddress,
      version: '17.11.0',
      revision: '7f5d7c36',
      tags:
        executor === 'docker-autoscaler'
          ? ['docker', 'hetzner', 'fleeting']
          : ['docker', 'hetzner', 'autoscale'],
      executor,
      managerHostname: options.managerHostname ?? 'runner-manager-1',
      contactedAt: this.time,
      createdAt: this.time - 90 * 24 * HOUR,
    };
    this.managerStateDir = join(this.stateRoot, 'manager');

    // The fleet as it stands when the history starts: all VMs up, a few builds behind them.
    for (let i = 0; i < vms; i++) {
      const vm = this.createVm(this.time - this.int(10, 120) * MIN, true);
      vm.builds = this.int(0, 6);
    }
    // History: jobs come and go, the autoscaler recycles VMs, as it will after the start.
    while (this.time + STEP_MS <= start) this.step(false);
    // The start shows the fleet at its size: VMs the autoscaler let go are back, idle.
    while ([...this.vmsById.values()].filter((v) => !v.orphan).length < vms) {
      const vm = this.createVm(this.time - this.int(1, 5) * MIN, true);
      vm.idleSince = this.time;
    }
    // Stuck VMs: full of leftovers and idle. Chosen among idle ones, then any.
    const order = [...this.vmsById.values()].sort(
      (a, b) => Number(a.job !== null) - Number(b.job !== null) || a.slot - b.slot,
    );
    for (const vm of order.slice(0, stuck)) this.makeStuck(vm);
    // Orphans: left over days ago (a manager that was replaced), idle, part full of old crud.
    // They draw from a generator of their own, so adding orphans leaves the rest of the
    // world (its jobs, VMs and disks) exactly as the same seed makes it without them.
    const main = this.random;
    this.random = rng(seed ^ 0x0a4f_a115);
    for (let i = 0; i < orphans; i++) {
      const vm = this.createVm(this.time - this.int(3, 20) * 24 * HOUR, true);
      vm.orphan = true;
      vm.builds = this.int(3, this.maxBuilds);
      vm.idleSince = vm.createdAt + this.int(1, 48) * HOUR;
      // under the default 60 % kill level: an orphan, not also a full disk whose proposal
      // would turn from disk to orphan once GitLab proves it (the re-check then refuses)
      this.fillTo(vm, this.int(25, 50));
    }
    this.random = main;
    this.time = start;
    this.runner.contactedAt = start;
  }

  /**
   * Starts writing host state and following the clock. Hooks hear about VMs from here on;
   * every VM that exists already is announced first (created, then running).
   */
  start(hooks: ScenarioHooks = {}): void {
    if (this.unsubscribe) throw new ScenarioError('the world has started already');
    this.hooks = hooks;
    this.writing = true;
    for (const vm of this.sortedVms()) {
      hooks.vmCreated?.(this.info(vm));
      if (vm.state === 'running') hooks.vmRunning?.(this.info(vm));
    }
    this.writeAll();
    hooks.stepped?.(this.time);
    this.unsubscribe = this.options.clock.onTick(() => this.catchUp());
  }

  /** Stops following the clock. The state directories stay (the launcher removes its temp root). */
  dispose(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.hooks = {};
  }

  /** Scenario time of the last step. */
  now(): number {
    return this.time;
  }

  /** The world as plain data (copies). */
  snapshot(): WorldSnapshot {
    return {
      now: this.time,
      runner: { ...this.runner, tags: [...this.runner.tags] },
      projects: this.projects.map((p) => ({
        ...p,
        images: [...p.images],
        jobNames: [...p.jobNames],
      })),
      vms: this.sortedVms().map((vm) => this.info(vm)),
      jobs: this.jobs.map((j) => ({ ...j })),
    };
  }

  /** VMs that exist, by slot. */
  vms(): SimVmInfo[] {
    return this.sortedVms().map((vm) => this.info(vm));
  }

  /** Jobs still kept (pending, running and finished within a day). */
  jobList(): SimJobInfo[] {
    return this.jobs.map((j) => ({ ...j }));
  }

  /** A VM's state directory (RW_SIM_STATE of its SSH host). */
  vmStateDir(name: string): string {
    const vm = this.vmsById.get(name);
    if (!vm) throw new ScenarioError(`no VM named ${name}`);
    return vm.stateDir;
  }

  /**
   * The trace line GitLab would show that links a job to its VM: `Running on <container>
   * via <machine>...` (docker+machine), `Dialing instance <name>:<server id>...`
   * (docker-autoscaler, whose `via` names the manager).
   */
  traceHead(jobId: number): string | null {
    const job = this.jobs.find((j) => j.id === jobId);
    if (!job || !job.machine || !job.containerName) return null;
    if (job.instanceId) return `Dialing instance ${job.instanceId}...`;
    return `Running on ${job.containerName.replace(/-build$/, '')} via ${job.machine}...`;
  }

  /** The VM is being deleted (its Hetzner server is `deleting`): no new jobs go there. */
  markDeleting(name: string): void {
    const vm = this.vmsById.get(name);
    if (vm && vm.state !== 'gone') vm.state = 'deleting';
  }

  /** The VM's server is gone (Hetzner delete completed): the VM leaves the world. */
  serverGone(name: string): void {
    const vm = this.vmsById.get(name);
    if (!vm) return;
    this.removeVm(vm, 'hetzner-delete');
    // docker-machine still lists it, in Error, until the manager notices
    vm.errorUntil = this.time + 2 * MIN;
    this.ghosts.push(vm);
    if (this.writing) this.writeManager();
  }

  /**
   * Starts a job container on an orphan, as a job of the manager that left it behind would
   * still run there: GitLab does not link it, docker ps shows it. It never ends by itself.
   */
  startOrphanJob(name: string): number {
    const vm = this.vmsById.get(name);
    if (!vm?.orphan) throw new ScenarioError(`no orphan named ${name}`);
    const jobId = this.nextJobId++;
    const t8 = this.runner.tokenPrefix;
    vm.containers.push({
      id: this.hex(64),
      name: `runner-${t8}-project-42-concurrent-0-${this.hex(16)}-build`,
      image: 'node:20-bookworm',
      created: Math.floor(this.time / 1000),
      state: 'running',
      exitCode: 0,
      labels: {
        [RUNNER_LABEL.jobId]: String(jobId),
        [RUNNER_LABEL.projectId]: '42',
        [RUNNER_LABEL.runnerId]: String(this.runner.id),
        [RUNNER_LABEL.managed]: 'true',
        [RUNNER_LABEL.type]: 'build',
      },
      volumes: [],
      layerBytes: 0,
      growthPerStep: 0,
    });
    vm.idleSince = null;
    if (this.writing) this.writeVm(vm);
    return jobId;
  }

  /** A manager takes an orphan back: `docker-machine ls` lists it from now on. */
  adoptOrphan(name: string): void {
    const vm = this.vmsById.get(name);
    if (!vm?.orphan) throw new ScenarioError(`no orphan named ${name}`);
    vm.orphan = false;
    if (this.writing) this.writeManager();
  }

  /**
   * The manager's `docker-machine ls` answers from another machine store (wrong user or
   * MACHINE_STORAGE_PATH): it exits 0 and lists nothing, while every VM keeps running.
   */
  loseMachineStore(lost = true): void {
    this.storeLost = lost;
    if (this.writing) this.writeManager();
  }

  /** Makes a VM stuck full now (tests and the demo use it to provoke the reaper). */
  fillUp(name: string, pct = 92): void {
    const vm = this.vmsById.get(name);
    if (!vm) throw new ScenarioError(`no VM named ${name}`);
    if (!(pct >= STUCK_PCT && pct <= 99))
      throw new ScenarioError(`fill-up target must be ${STUCK_PCT}–99 %, got ${pct}`);
    // what shims removed since the last write counts before filling up
    if (this.writing) this.withLock(vm.stateDir, () => this.adoptVm(vm));
    this.makeStuck(vm, pct);
    if (this.writing) this.writeVm(vm);
  }

  // ----- stepping -----

  private catchUp(): void {
    const target = this.options.clock.now();
    if (target - this.time < STEP_MS) return;
    // Nobody can look between the steps of one catch-up: write (and read back) once.
    while (target - this.time >= STEP_MS) this.step(true);
    if (this.writing) {
      this.writeAll();
      this.hooks.stepped?.(this.time);
    }
  }

  private step(live: boolean): void {
    this.time += STEP_MS;
    this.runner.contactedAt = this.time;
    this.lifecycle(live);
    this.runJobs();
    this.arrivals();
    this.assign();
    this.autoscale();
    this.markStuck();
    this.forget();
  }

  /**
   * Runs `fn` holding the host's state lock, the one the mutating shims take, so a shim's
   * change and the world's read-back-and-write never interleave. A host whose lock is held
   * is skipped (written next tick); a lock left by a killed shim is broken after 30 s.
   */
  private withLock(dir: string, fn: () => void): void {
    mkdirSync(dir, { recursive: true });
    const lock = join(dir, '.lock');
    try {
      mkdirSync(lock);
    } catch {
      try {
        if (Date.now() - statSync(lock).mtimeMs < 30_000) return;
        rmdirSync(lock);
        mkdirSync(lock);
      } catch {
        return;
      }
    }
    try {
      fn();
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }

  /** Keeps a long demo from filling /tmp: calls.log over 1 MB moves to calls.log.1 (shims start a new one). */
  private rotateCalls(dir: string): void {
    const log = join(dir, 'calls.log');
    try {
      if (statSync(log).size > 1_000_000) renameSync(log, `${log}.1`);
    } catch {
      // no calls yet
    }
  }

  /** Reads a host's state back; null when unreadable (a test wrote garbage). */
  private readState(dir: string): ReturnType<typeof readHostState> | null {
    try {
      return readHostState(dir);
    } catch {
      return null;
    }
  }

  /** `docker-machine rm` on the manager: machines listed at the last write and missing now are gone. */
  private adoptManager(): void {
    if (!changedSinceWritten(this.managerStateDir, ['machines.tsv'])) return;
    const listed = this.readState(this.managerStateDir)?.machines;
    if (!listed) return;
    const names = new Set(listed.map((m) => m.name));
    for (const name of this.lastListed) {
      if (names.has(name)) continue;
      const vm = this.vmsById.get(name);
      if (vm) this.removeVm(vm, 'docker-machine-rm');
      const ghost = this.ghosts.findIndex((g) => g.name === name);
      if (ghost >= 0) this.ghosts.splice(ghost, 1);
    }
  }

  /** `docker volume rm`, `docker image prune`: what was written last time and is missing now is gone. */
  private adoptVm(vm: Vm): void {
    const last = this.lastWritten.get(vm.name);
    if (!last || !changedSinceWritten(vm.stateDir, ['volumes.tsv', 'images.tsv'])) return;
    const state = this.readState(vm.stateDir);
    if (!state) return;
    const volumes = new Set(state.volumes.map((v) => v.name));
    const images = new Set(state.images.map((i) => i.id));
    vm.volumes = vm.volumes.filter((v) => !last.volumes.has(v.name) || volumes.has(v.name));
    vm.images = vm.images.filter((i) => !last.images.has(i.id) || images.has(i.id));
  }

  private lifecycle(live: boolean): void {
    for (const vm of this.sortedVms()) {
      if (vm.state === 'creating' && this.time >= vm.runningAt) {
        vm.state = 'running';
        vm.idleSince = this.time;
        if (live) this.hooks.vmRunning?.(this.info(vm));
      }
    }
    for (let i = this.ghosts.length - 1; i >= 0; i--) {
      if ((this.ghosts[i]!.errorUntil ?? 0) <= this.time) this.ghosts.splice(i, 1);
    }
  }

  private runJobs(): void {
    for (const vm of this.vmsById.values()) {
      const job = vm.job;
      if (!job) continue;
      const container = vm.containers.find((c) => c.name === job.containerName);
      if (container) container.layerBytes += container.growthPerStep;
      const cache = vm.volumes.find((v) => container?.volumes.includes(v.name));
      if (cache) cache.sizeBytes += Math.floor(container!.growthPerStep / 3);
      const full = this.usedPct(vm) >= 99;
      if (this.time < (this.dueAt.get(job.id) ?? 0) && !full) continue;
      this.dueAt.delete(job.id);
      // the job ends: success mostly; a full disk fails it
      const failed = full || this.random() < 0.08;
      job.status = failed ? 'failed' : 'success';
      job.failureReason = full ? 'no space left on device' : failed ? 'script_failure' : null;
      job.finishedAt = this.time;
      vm.job = null;
      vm.builds++;
      vm.idleSince = this.time;
      if (container) {
        // GitLab Runner removes job containers; now and then one is left behind (exited)
        if (this.random() < 0.2) {
          container.state = 'exited';
          container.exitCode = failed ? 1 : 0;
          container.finished = Math.floor(this.time / 1000);
        } else vm.containers = vm.containers.filter((c) => c !== container);
      }
    }
  }

  private arrivals(): void {
    let expected = this.jobsPerStep;
    while (expected > 0) {
      if (this.random() >= Math.min(1, expected)) break;
      expected -= 1;
      const project = this.pick(this.projects);
      const pipelineId = this.nextPipelineId++;
      const ref = this.pick(REFS);
      const sha = this.hex(40);
      const user = this.pick(USERS);
      const count = this.int(1, Math.min(3, project.jobNames.length));
      const start = this.int(0, project.jobNames.length - count);
      for (const name of project.jobNames.slice(start, start + count)) {
        const id = this.nextJobId++;
        const image = this.pick(project.images);
        const job: SimJobInfo = {
          id,
          runnerId: this.runner.id,
          systemId: this.runner.systemId,
          projectId: project.id,
          projectPath: project.path,
          pipelineId,
          name,
          stage:
            STAGES[name] ??
            (name.startsWith('build') || name.startsWith('assemble') || name === 'package'
              ? 'build'
              : 'test'),
          ref,
          sha,
          user,
          status: 'pending',
          createdAt: this.time,
          startedAt: null,
          finishedAt: null,
          machine: null,
          containerName: null,
          image,
          webUrl: `${this.gitlabUrl}/${project.path}/-/jobs/${id}`,
          failureReason: null,
        };
        this.jobs.push(job);
      }
    }
  }

  private assign(): void {
    const pending = this.jobs.filter((j) => j.status === 'pending');
    if (pending.length === 0) return;
    const idle = this.sortedVms().filter(
      (vm) => vm.state === 'running' && vm.job === null && !vm.orphan,
    );
    const healthy = idle.filter((vm) => !vm.stuck);
    const stuck = idle.filter((vm) => vm.stuck);
    for (const job of pending) {
      // now and then the runner hands a job to a full VM, where it fails: the symptom
      let vm: Vm | undefined;
      if (stuck.length > 0 && healthy.length > 0 && this.random() < 0.02) vm = stuck.shift();
      else vm = healthy.shift();
      if (!vm) break;
      this.startJob(vm, job);
    }
  }

  private startJob(vm: Vm, job: SimJobInfo): void {
    const project = this.projects.find((p) => p.id === job.projectId)!;
    let image = vm.images.find((i) => i.ref === job.image);
    if (!image) {
      image = {
        ref: job.image,
        id: 'sha256:' + this.sha(job.image),
        sizeBytes: this.int(250, 1600) * 1_000_000,
        created: Math.floor(this.time / 1000) - this.int(1, 60) * 86_400,
      };
      vm.images.push(image);
    }
    const t8 = this.runner.tokenPrefix;
    const cacheName = `runner-${t8}-project-${project.id}-concurrent-0-cache-${this.md5(`${project.path}:cache`)}`;
    let cache = vm.volumes.find((v) => v.name === cacheName);
    if (!cache) {
      cache = { name: cacheName, sizeBytes: this.int(20, 200) * 1_000_000 };
      vm.volumes.push(cache);
    }
    const durationMs = this.int(2, 15) * MIN + this.int(0, 59) * 1000;
    const steps = Math.max(1, Math.floor(durationMs / STEP_MS));
    const growth = Math.floor((this.int(150, 1800) * 1_000_000) / steps);
    const containerName = `runner-${t8}-project-${project.id}-concurrent-0-${this.hex(16)}-build`;
    vm.containers.push({
      id: this.hex(64),
      name: containerName,
      image: job.image,
      created: Math.floor(this.time / 1000),
      state: 'running',
      exitCode: 0,
      labels: {
        [RUNNER_LABEL.jobId]: String(job.id),
        [RUNNER_LABEL.jobUrl]: job.webUrl,
        [RUNNER_LABEL.jobRef]: job.ref,
        [RUNNER_LABEL.jobSha]: job.sha,
        [RUNNER_LABEL.projectId]: String(project.id),
        [RUNNER_LABEL.pipelineId]: String(job.pipelineId),
        [RUNNER_LABEL.runnerId]: String(this.runner.id),
        [RUNNER_LABEL.managed]: 'true',
        [RUNNER_LABEL.type]: 'build',
      },
      volumes: [cacheName],
      layerBytes: 0,
      growthPerStep: growth,
    });
    job.status = 'running';
    job.startedAt = this.time;
    job.machine = vm.name;
    job.containerName = containerName;
    if (vm.serverId !== undefined) job.instanceId = `${vm.name}:${vm.serverId}`;
    this.dueAt.set(job.id, vm.stuck ? this.time + 20_000 : this.time + durationMs);
    vm.job = job;
    vm.idleSince = null;
  }

  /** docker+machine: keep IdleCount idle machines, up to the limit; remove extra idle ones after IdleTime, and machines after MaxBuilds. */
  private autoscale(): void {
    for (const vm of this.sortedVms()) {
      if (vm.state !== 'running' || vm.job !== null || vm.stuck || vm.orphan) continue;
      if (vm.builds >= this.maxBuilds) this.removeVm(vm, 'max-builds');
    }
    const alive = this.sortedVms().filter((vm) => vm.state !== 'gone' && !vm.orphan);
    const idle = alive.filter(
      (vm) => (vm.state === 'running' || vm.state === 'creating') && vm.job === null,
    );
    const pending = this.jobs.filter((j) => j.status === 'pending').length;
    const healthyIdle = idle.filter((vm) => !vm.stuck).length;
    let want = Math.max(this.idleCount - healthyIdle, 0) + Math.max(pending - healthyIdle, 0);
    let total = alive.length;
    while (want > 0 && total < this.limit) {
      this.createVm(this.time, false);
      want--;
      total++;
    }
    // extra idle machines (stuck ones are counted as idle and never chosen: the bug)
    let idleNow = idle.length;
    for (const vm of idle) {
      if (idleNow <= this.idleCount) break;
      if (vm.stuck || vm.state !== 'running' || vm.idleSince === null) continue;
      if (this.time - vm.idleSince >= this.idleTimeMs) {
        this.removeVm(vm, 'autoscaler');
        idleNow--;
      }
    }
  }

  private markStuck(): void {
    for (const vm of this.vmsById.values()) {
      if (
        !vm.stuck &&
        !vm.orphan &&
        vm.job === null &&
        vm.state === 'running' &&
        this.usedPct(vm) >= STUCK_PCT
      )
        vm.stuck = true;
    }
  }

  private forget(): void {
    const cutoff = this.time - KEEP_FINISHED_MS;
    for (let i = this.jobs.length - 1; i >= 0; i--) {
      const j = this.jobs[i]!;
      if (j.finishedAt !== null && j.finishedAt < cutoff) this.jobs.splice(i, 1);
    }
  }

  // ----- VMs -----

  private createVm(createdAt: number, running: boolean): Vm {
    const used = new Set([...this.vmsById.values()].map((v) => v.slot));
    let slot = 1;
    while (used.has(slot)) slot++;
    if (slot > MAX_SLOTS) throw new ScenarioError('no free VM slot');
    const unix = Math.floor(createdAt / 1000);
    // fleeting-plugin-hetzner: `<group>-` and 8 hex digits (hcloud-go randutil.GenerateID)
    const name = this.instanceGroup
      ? `${this.instanceGroup}-${this.hex(8)}`
      : `runner-${this.runner.tokenPrefix}-auto-scale-${unix}-${this.hex(8)}`;
    const vm: Vm = {
      name,
      slot,
      state: running ? 'running' : 'creating',
      createdAt,
      runningAt: running ? createdAt : createdAt + this.int(40, 90) * 1000,
      builds: 0,
      stuck: false,
      orphan: false,
      job: null,
      idleSince: running ? createdAt : null,
      images: [],
      volumes: [],
      containers: [],
      baseBytes: this.int(2800, 3600) * 1_000_000,
      stateDir: join(this.stateRoot, name),
      errorUntil: null,
      ...(this.instanceGroup ? { serverId: this.nextServerId++ } : {}),
    };
    this.vmsById.set(name, vm);
    if (this.writing) this.hooks.vmCreated?.(this.info(vm));
    return vm;
  }

  private removeVm(vm: Vm, reason: Parameters<NonNullable<ScenarioHooks['vmRemoved']>>[1]): void {
    if (!this.vmsById.has(vm.name)) return;
    if (vm.job) {
      vm.job.status = 'failed';
      vm.job.failureReason = 'runner_system_failure';
      vm.job.finishedAt = this.time;
      vm.job = null;
    }
    vm.state = 'gone';
    this.vmsById.delete(vm.name);
    this.lastWritten.delete(vm.name);
    this.dueAt.forEach((_, id) => {
      if (!this.jobs.some((j) => j.id === id && j.status === 'running')) this.dueAt.delete(id);
    });
    if (this.writing) {
      this.hooks.vmRemoved?.(this.info(vm), reason);
      rmSync(vm.stateDir, { recursive: true, force: true });
    }
  }

  private makeStuck(vm: Vm, targetPct = this.int(86, 95)): void {
    vm.stuck = true;
    if (vm.job) {
      vm.job.status = 'failed';
      vm.job.failureReason = 'no space left on device';
      vm.job.finishedAt = this.time;
      vm.containers = vm.containers.filter((c) => c.name !== vm.job?.containerName);
      vm.job = null;
    }
    vm.idleSince = vm.idleSince ?? this.time;
    this.fillTo(vm, targetPct);
  }

  /** Adds leftovers until the VM's disk is at `targetPct`: cache volumes of other projects, old images. */
  private fillTo(vm: Vm, targetPct: number): void {
    let guard = 0;
    while (this.usedPct(vm) < targetPct && guard++ < 500) {
      const project = this.pick(this.projects);
      const room = this.roomBytes(vm, targetPct);
      const chunk = Math.min(room + 1_000_000, this.int(500, 3000) * 1_000_000);
      if (this.random() < 0.5) {
        vm.volumes.push({
          name: `runner-${this.runner.tokenPrefix}-project-${project.id}-concurrent-${this.int(1, 3)}-cache-${this.hex(32)}`,
          sizeBytes: chunk,
        });
      } else {
        const ref =
          this.pick(project.images).replace(/:.*$/, '') +
          ':' +
          this.pick(['old', 'previous', 'nightly', 'ci-' + this.int(100, 999)]);
        vm.images.push({
          ref,
          id: 'sha256:' + this.hex(64),
          sizeBytes: chunk,
          created: Math.floor(this.time / 1000) - this.int(2, 30) * 86_400,
        });
      }
    }
  }

  // ----- disk -----

  /** Filesystem size of `/` in KiB (a 40 GB disk shows about 38.1 GiB). */
  private sizeKiB(): number {
    return Math.floor((this.diskBytes * 0.976) / 1024);
  }

  private usedBytes(vm: Vm): number {
    return (
      vm.baseBytes +
      vm.images.reduce((s, i) => s + i.sizeBytes, 0) +
      vm.volumes.reduce((s, v) => s + v.sizeBytes, 0) +
      vm.containers.reduce((s, c) => s + c.layerBytes, 0)
    );
  }

  private dfFigures(vm: Vm): { size: number; used: number; avail: number } {
    const size = this.sizeKiB();
    const reserved = Math.floor(size * 0.05);
    const used = Math.min(size - reserved, Math.ceil(this.usedBytes(vm) / 1024));
    return { size, used, avail: size - reserved - used };
  }

  private usedPct(vm: Vm): number {
    const { used, avail } = this.dfFigures(vm);
    return used + avail === 0 ? 100 : Math.ceil((used * 100) / (used + avail));
  }

  private roomBytes(vm: Vm, pct: number): number {
    const { used, avail } = this.dfFigures(vm);
    return Math.max(0, Math.ceil(((used + avail) * pct) / 100) - used) * 1024;
  }

  // ----- host state -----

  private writeAll(): void {
    // the manager first: a `docker-machine rm` removes a VM before it would be written
    this.writeManager();
    for (const vm of this.sortedVms()) this.writeVm(vm);
  }

  private vmState(vm: Vm): HostState {
    const { size, used, avail } = this.dfFigures(vm);
    const inodesTotal = Math.floor(size / 16);
    const inodesUsed = Math.min(
      inodesTotal,
      120_000 +
        vm.images.length * 18_000 +
        vm.volumes.length * 9_000 +
        Math.floor(vm.containers.reduce((s, c) => s + c.layerBytes, 0) / 60_000),
    );
    const images: SimImage[] = vm.images.map((i) => {
      const [repository = i.ref, tag = 'latest'] = i.ref.split(/:(?=[^:]*$)/);
      return { id: i.id, repository, tag, created: i.created, sizeBytes: i.sizeBytes };
    });
    const volumes: SimVolume[] = vm.volumes.map((v) => ({ name: v.name, sizeBytes: v.sizeBytes }));
    return {
      hostname: vm.name,
      now: Math.floor(this.time / 1000),
      mounts: [
        {
          device: '/dev/sda1',
          fstype: 'ext4',
          mount: '/',
          sizeKiB: size,
          usedKiB: used,
          availKiB: avail,
          inodes: { total: inodesTotal, used: inodesUsed, free: inodesTotal - inodesUsed },
        },
      ],
      paths: ['/var/lib/docker', '/var/lib/docker/volumes', '/builds', '/tmp', '/home'],
      containers: vm.containers.map((c) => ({
        id: c.id,
        name: c.name,
        image: c.image,
        command:
          'sh -c if [ -x /usr/local/bin/bash ]; then\n\texec /usr/local/bin/bash \nelif [ -x /usr/bin/bash ]; then\n\texec /usr/bin/bash'.replace(
            /[\t\n]/g,
            ' ',
          ),
        created: c.created,
        state: c.state,
        exitCode: c.exitCode,
        ...(c.finished !== undefined ? { finished: c.finished } : {}),
        labels: c.labels,
        volumes: c.volumes,
      })),
      volumes,
      images,
      load: this.loadOf(vm),
    };
  }

  /**
   * Load and memory of a VM: a busy VM works its 2 cores, an idle one rests. Noise comes
   * from a hash of name and time, not from the scenario's generator: states are written
   * once per catch-up, and drawing here would make the world depend on how the clock ticks.
   */
  private loadOf(vm: Vm): NonNullable<HostState['load']> {
    const noise = (salt: string) =>
      parseInt(this.md5(`${vm.name}:${this.time}:${salt}`).slice(0, 8), 16) / 0x1_0000_0000;
    const cpus = { cx22: 2, cx32: 4, cx42: 8 }[this.serverType];
    const memTotalKiB = { cx22: 3_911_384, cx32: 7_935_260, cx42: 16_000_296 }[this.serverType];
    const busy = vm.job !== null;
    const load1 = busy ? cpus * (0.6 + noise('l1') * 1.2) : noise('l1') * 0.15;
    const load5 = busy ? cpus * (0.5 + noise('l5') * 0.8) : 0.05 + noise('l5') * 0.2;
    const load15 = busy ? cpus * (0.4 + noise('l15') * 0.5) : 0.05 + noise('l15') * 0.25;
    const usedShare = busy ? 0.35 + noise('m') * 0.45 : 0.12 + noise('m') * 0.06;
    return {
      load1: Math.round(load1 * 100) / 100,
      load5: Math.round(load5 * 100) / 100,
      load15: Math.round(load15 * 100) / 100,
      cpus,
      memTotalKiB,
      memAvailableKiB: Math.floor(memTotalKiB * (1 - usedShare)),
    };
  }

  private writeVm(vm: Vm): void {
    this.withLock(vm.stateDir, () => {
      this.adoptVm(vm);
      if (!this.vmsById.has(vm.name)) return;
      this.rotateCalls(vm.stateDir);
      writeHostState(vm.stateDir, this.vmState(vm));
      this.lastWritten.set(vm.name, {
        volumes: new Set(vm.volumes.map((v) => v.name)),
        images: new Set(vm.images.map((i) => i.id)),
      });
    });
  }

  private writeManager(): void {
    this.withLock(this.managerStateDir, () => {
      this.adoptManager();
      this.rotateCalls(this.managerStateDir);
      this.writeManagerState();
    });
  }

  private writeManagerState(): void {
    // docker-autoscaler keeps its instances in the taskscaler: nothing for docker-machine ls
    const listed =
      this.instanceGroup !== null || this.storeLost
        ? []
        : [
            ...this.sortedVms()
              .filter((vm) => !vm.orphan)
              .map((vm) => ({
                name: vm.name,
                state: (vm.state === 'creating' ? 'Starting' : 'Running') as 'Starting' | 'Running',
                url: vm.state === 'creating' ? '' : `tcp://${this.address(vm.slot)}:2376`,
              })),
            ...this.ghosts.map((vm) => ({ name: vm.name, state: 'Error' as const, url: '' })),
          ].sort((a, b) => a.name.localeCompare(b.name));
    writeHostState(this.managerStateDir, {
      hostname: this.runner.managerHostname,
      now: Math.floor(this.time / 1000),
      mounts: [
        {
          device: '/dev/sda1',
          fstype: 'ext4',
          mount: '/',
          sizeKiB: 39_937_312,
          ...this.managerDisk(),
          inodes: { total: 2_555_904, used: 201_733, free: 2_354_171 },
        },
      ],
      paths: ['/etc/gitlab-runner', '/root/.docker/machine', '/var/lib/docker', '/tmp'],
      machines: listed,
      // The manager runs the runner itself: the probe's pgrep sees it.
      processes: ['sshd', 'gitlab-runner', 'dockerd'],
      load: {
        load1: 0.31,
        load5: 0.27,
        load15: 0.22,
        cpus: 4,
        memTotalKiB: 7_935_260,
        memAvailableKiB: 6_120_448,
      },
    });
    this.lastListed = new Set(listed.map((m) => m.name));
  }

  // ----- helpers -----

  /** The manager's root disk figures in KiB (df -Pk): the default ones, or at the given use. */
  private managerDisk(): { usedKiB: number; availKiB: number } {
    if (this.managerDiskPct === null) return { usedKiB: 9_812_004, availKiB: 28_107_164 };
    // Like ext4: blocks reserved for root are neither used nor available (df's Use% ignores them).
    const usable = 37_919_168;
    // Rounded down: df rounds the percentage up, so this shows exactly the asked figure.
    const usedKiB = Math.floor((usable * this.managerDiskPct) / 100);
    return { usedKiB, availKiB: usable - usedKiB };
  }

  private sortedVms(): Vm[] {
    return [...this.vmsById.values()].sort((a, b) => a.slot - b.slot);
  }

  private address(slot: number): string {
    return `127.0.${this.addressBlock}.${slot}`;
  }

  private info(vm: Vm): SimVmInfo {
    return {
      name: vm.name,
      slot: vm.slot,
      address: this.address(vm.slot),
      privateAddress: `127.0.${this.addressBlock + 1}.${vm.slot}`,
      state: vm.state,
      createdAt: vm.createdAt,
      builds: vm.builds,
      stuck: vm.stuck,
      orphan: vm.orphan,
      runningJobId: vm.job?.id ?? null,
      diskUsedPct: this.usedPct(vm),
      idleSince: vm.idleSince,
      stateDir: vm.stateDir,
      ...(vm.serverId !== undefined ? { serverId: vm.serverId } : {}),
    };
  }

  private int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  private hex(length: number): string {
    let out = '';
    while (out.length < length)
      out += Math.floor(this.random() * 0x1_0000_0000)
        .toString(16)
        .padStart(8, '0');
    return out.slice(0, length);
  }

  private chars(length: number): string {
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[Math.floor(this.random() * alphabet.length)];
    return out;
  }

  private sha(text: string): string {
    return createHash('sha256').update(text).digest('hex');
  }

  private md5(text: string): string {
    return createHash('md5').update(text).digest('hex');
  }
}
