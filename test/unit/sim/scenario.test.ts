import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../sim/clock';
import { RUNNER_LABEL, SHIMS_DIR, readCalls, readHostState } from '../../sim/host-state';
import { FleetWorld, STUCK_PCT, ScenarioError, type ScenarioOptions } from '../../sim/scenario';

const roots: string[] = [];
const worlds: FleetWorld[] = [];
afterEach(() => {
  for (const w of worlds.splice(0)) w.dispose();
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

function world(options: Partial<ScenarioOptions> = {}): {
  world: FleetWorld;
  clock: ManualClock;
  root: string;
} {
  const root = mkdtempSync(join(tmpdir(), 'rw-scenario-'));
  roots.push(root);
  const clock = options.clock instanceof ManualClock ? options.clock : new ManualClock();
  const w = new FleetWorld({ stateRoot: root, ...options, clock });
  worlds.push(w);
  return { world: w, clock, root };
}

/** The snapshot without paths (temp roots differ between runs). */
function comparable(w: FleetWorld) {
  const s = w.snapshot();
  return { ...s, vms: s.vms.map(({ stateDir: _dir, ...rest }) => rest) };
}

const NAME = /^runner-[a-z0-9]{9}-auto-scale-\d{10}-[0-9a-f]{8}$/;

/** Ticks the clock in 30 s steps until `find` returns something (at most two hours). */
function until<T>(clock: ManualClock, find: () => T | undefined): T {
  for (let i = 0; i < 240; i++) {
    const found = find();
    if (found !== undefined) return found;
    clock.tick(30_000);
  }
  throw new Error('the scenario never got there within two hours');
}

function sh(dir: string, ...argv: string[]) {
  return spawnSync(argv[0]!, argv.slice(1), {
    env: { PATH: `${SHIMS_DIR}:/usr/bin:/bin`, RW_SIM_STATE: dir },
    encoding: 'utf8',
  });
}

describe('scenario world', () => {
  it('starts with N VMs named like GitLab Runner names them, on 127.0.1.<slot>', () => {
    const { world: w } = world({ vms: 5, seed: 2 });
    const vms = w.vms();
    expect(vms).toHaveLength(5);
    for (const vm of vms) {
      expect(vm.name).toMatch(NAME);
      expect(vm.name.startsWith(`runner-${w.runner.tokenPrefix}-auto-scale-`)).toBe(true);
      expect(vm.address).toBe(`127.0.1.${vm.slot}`);
      expect(vm.privateAddress).toBe(`127.0.2.${vm.slot}`);
    }
    expect(vms.map((v) => v.slot)).toEqual([1, 2, 3, 4, 5]);
    expect(w.runner.token.startsWith('glrt-')).toBe(true);
    expect(w.runner.tokenPrefix).toBe(w.runner.token.slice(5, 14));
  });

  it('is deterministic: the same seed and total time give the same world, however the clock is ticked', () => {
    const a = world({ vms: 8, seed: 42 });
    const b = world({ vms: 8, seed: 42 });
    a.world.start();
    b.world.start();
    a.clock.tick(3 * 3_600_000);
    for (let i = 0; i < 36; i++) b.clock.tick(5 * 60_000);
    b.clock.tick(0);
    expect(comparable(a.world)).toEqual(comparable(b.world));
    expect(a.world.snapshot().jobs.length).toBeGreaterThan(20);
  });

  it('differs for another seed', () => {
    const a = world({ vms: 4, seed: 1 });
    const b = world({ vms: 4, seed: 2 });
    expect(a.world.vms().map((v) => v.name)).not.toEqual(b.world.vms().map((v) => v.name));
  });

  it('has stuck VMs full and idle, and jobs of several projects with history', () => {
    const { world: w } = world({ vms: 8, seed: 5 });
    const stuck = w.vms().filter((v) => v.stuck);
    expect(stuck).toHaveLength(2);
    for (const vm of stuck) {
      expect(vm.diskUsedPct).toBeGreaterThanOrEqual(STUCK_PCT);
      expect(vm.runningJobId).toBeNull();
    }
    const jobs = w.jobList();
    expect(new Set(jobs.map((j) => j.projectId)).size).toBeGreaterThanOrEqual(3);
    expect(
      jobs.some((j) => j.status === 'success' && j.finishedAt !== null && j.machine?.match(NAME)),
    ).toBe(true);
    const running = jobs.filter((j) => j.status === 'running');
    for (const job of running) {
      const vm = w.vms().find((v) => v.name === job.machine);
      expect(vm?.runningJobId).toBe(job.id);
      expect(job.webUrl).toBe(`http://127.0.0.3/${job.projectPath}/-/jobs/${job.id}`);
      expect(w.traceHead(job.id)).toBe(
        `Running on ${job.containerName!.replace(/-build$/, '')} via ${job.machine}...`,
      );
    }
  });

  it('writes each VM’s state: df shows its disk, docker ps its job with GitLab Runner labels', () => {
    const { world: w, clock } = world({ vms: 6, seed: 9 });
    w.start();
    const busy = until(clock, () => w.vms().find((v) => v.runningJobId !== null));
    const df = sh(busy!.stateDir, 'df', '-Pk', '/').stdout.trim().split('\n')[1]!.split(/\s+/);
    expect(df[4]).toBe(`${busy!.diskUsedPct}%`);
    const ps = sh(
      busy!.stateDir,
      'docker',
      'ps',
      '--filter',
      `label=${RUNNER_LABEL.jobId}`,
      '--format',
      '{{json .}}',
    );
    const rows = ps.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { Labels: string; Names: string });
    expect(rows).toHaveLength(1);
    const job = w.jobList().find((j) => j.id === busy!.runningJobId)!;
    expect(rows[0]!.Names).toBe(job.containerName);
    expect(rows[0]!.Labels).toContain(`${RUNNER_LABEL.jobId}=${job.id}`);
    expect(rows[0]!.Labels).toContain(`${RUNNER_LABEL.projectId}=${job.projectId}`);
    expect(rows[0]!.Labels).toContain(`${RUNNER_LABEL.pipelineId}=${job.pipelineId}`);
    const manager = readHostState(w.managerStateDir);
    expect(manager.machines?.map((m) => m.name).sort()).toEqual(
      w
        .vms()
        .map((v) => v.name)
        .sort(),
    );
  });

  it('grows a VM’s disk while a job runs', () => {
    const { world: w, clock } = world({ vms: 3, seed: 11, stuck: 0 });
    w.start();
    const busy = until(clock, () => w.vms().find((v) => v.runningJobId !== null));
    const before = readHostState(busy.stateDir).mounts[0]!.usedKiB;
    clock.tick(5_000);
    const still = w.vms().find((v) => v.name === busy.name)!;
    expect(still.runningJobId).toBe(busy.runningJobId);
    expect(readHostState(busy.stateDir).mounts[0]!.usedKiB).toBeGreaterThan(before);
  });

  it('recycles VMs after MaxBuilds and keeps the fleet within its limit', () => {
    const { world: w, clock } = world({ vms: 4, seed: 3, maxBuilds: 3, stuck: 0 });
    const first = new Set(w.vms().map((v) => v.name));
    const removed: string[] = [];
    w.start({ vmRemoved: (vm, reason) => removed.push(`${reason}:${vm.name}`) });
    for (let i = 0; i < 24; i++) {
      clock.tick(10 * 60_000);
      expect(w.vms().length).toBeLessThanOrEqual(4);
    }
    expect(removed.some((r) => r.startsWith('max-builds:'))).toBe(true);
    expect(w.vms().some((v) => !first.has(v.name))).toBe(true);
  });

  it('adopts what shims changed: docker-machine rm removes the VM, docker volume rm the volume', () => {
    const { world: w, clock } = world({ vms: 4, seed: 4 });
    const removed: string[] = [];
    w.start({ vmRemoved: (vm, reason) => removed.push(`${reason}:${vm.name}`) });
    const stuck = w.vms().find((v) => v.stuck)!;
    const volumes = readHostState(stuck.stateDir).volumes;
    const inUse = new Set(readHostState(stuck.stateDir).containers.flatMap((c) => c.volumes));
    const unused = volumes.find((v) => !inUse.has(v.name))!;
    expect(sh(stuck.stateDir, 'docker', 'volume', 'rm', unused.name).status).toBe(0);
    const pctBefore = stuck.diskUsedPct;
    clock.tick(5_000);
    expect(readHostState(stuck.stateDir).volumes.map((v) => v.name)).not.toContain(unused.name);
    expect(w.vms().find((v) => v.name === stuck.name)!.diskUsedPct).toBeLessThanOrEqual(pctBefore);

    const r = sh(w.managerStateDir, 'docker-machine', 'rm', '-y', stuck.name);
    expect(r.status).toBe(0);
    clock.tick(5_000);
    expect(w.vms().map((v) => v.name)).not.toContain(stuck.name);
    expect(removed).toContain(`docker-machine-rm:${stuck.name}`);
  });

  it('fills up after a shim’s removal: the removal sticks and the target is reached', () => {
    const { world: w, clock } = world({ vms: 3, seed: 14, stuck: 0 });
    w.start();
    const unusedVolume = (dir: string) => {
      const st = readHostState(dir);
      const inUse = new Set(st.containers.flatMap((c) => c.volumes));
      return st.volumes.find((v) => !inUse.has(v.name));
    };
    const vm = until(clock, () => w.vms().find((v) => unusedVolume(v.stateDir) !== undefined));
    const state = readHostState(vm.stateDir);
    const victim = unusedVolume(vm.stateDir)!;
    expect(sh(vm.stateDir, 'docker', 'volume', 'rm', victim.name).status).toBe(0);
    // the world adds volumes and images and writes at once: the removal must stick, the additions too
    w.fillUp(vm.name, 90);
    const after = readHostState(vm.stateDir);
    expect(after.volumes.map((v) => v.name)).not.toContain(victim.name);
    expect(after.volumes.length + after.images.length).toBeGreaterThan(
      state.volumes.length + state.images.length - 1,
    );
    expect(w.vms().find((v) => v.name === vm.name)!.diskUsedPct).toBeGreaterThanOrEqual(90);
  });

  it('does not write a host whose state a shim has locked, and breaks a stale lock', () => {
    const { world: w, clock } = world({ vms: 2, seed: 15 });
    w.start();
    const dir = w.vms()[0]!.stateDir;
    const before = readHostState(dir).now;
    mkdirSync(join(dir, '.lock'));
    clock.tick(10_000);
    expect(readHostState(dir).now).toBe(before);
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(dir, '.lock'), old, old);
    clock.tick(10_000);
    expect(readHostState(dir).now).toBe(before + 20);
    expect(existsSync(join(dir, '.lock'))).toBe(false);
  });

  it('rotates a calls.log over 1 MB so a long demo does not fill the disk', () => {
    const { world: w, clock } = world({ vms: 1, seed: 16, stuck: 0 });
    w.start();
    const dir = w.vms()[0]!.stateDir;
    writeFileSync(join(dir, 'calls.log'), 'docker\tps\n'.repeat(100_001));
    clock.tick(5_000);
    expect(existsSync(join(dir, 'calls.log'))).toBe(false);
    expect(readFileSync(join(dir, 'calls.log.1'), 'utf8').length).toBe(1_000_010);
    expect(sh(dir, 'df', '-Pk', '/').status).toBe(0);
    expect(readCalls(dir).calls).toEqual([{ tool: 'df', args: ['-Pk', '/'] }]);
  });

  it('removes a VM whose server was deleted, and lists it in Error for a while', () => {
    const { world: w, clock } = world({ vms: 3, seed: 6 });
    w.start();
    const vm = w.vms()[0]!;
    w.markDeleting(vm.name);
    expect(w.vms()[0]!.state).toBe('deleting');
    w.serverGone(vm.name);
    expect(w.vms().map((v) => v.name)).not.toContain(vm.name);
    expect(readHostState(w.managerStateDir).machines).toContainEqual(
      expect.objectContaining({ name: vm.name, state: 'Error' }),
    );
    clock.tick(3 * 60_000);
    expect(readHostState(w.managerStateDir).machines!.map((m) => m.name)).not.toContain(vm.name);
  });

  it('keeps orphans: servers of the fleet the manager does not list, that never get jobs', () => {
    const { world: w, clock } = world({ vms: 4, orphans: 2, seed: 17 });
    w.start();
    const orphans = w.vms().filter((v) => v.orphan);
    expect(orphans).toHaveLength(2);
    expect(w.vms()).toHaveLength(6);
    for (const o of orphans) {
      expect(o.name).toMatch(NAME);
      expect(w.now() - o.createdAt).toBeGreaterThanOrEqual(3 * 24 * 3_600_000);
    }
    const listed = () => readHostState(w.managerStateDir).machines!.map((m) => m.name);
    for (let i = 0; i < 24; i++) {
      clock.tick(5 * 60_000);
      for (const o of orphans) expect(listed()).not.toContain(o.name);
      expect(w.vms().filter((v) => !v.orphan).length).toBeLessThanOrEqual(4);
    }
    expect(w.jobList().some((j) => orphans.some((o) => o.name === j.machine))).toBe(false);
    expect(
      w
        .vms()
        .filter((v) => v.orphan)
        .map((v) => v.name),
    ).toEqual(orphans.map((o) => o.name));
  });

  it('leaves the rest of the world as it is when orphans are added', () => {
    const plain = world({ vms: 4, seed: 23 });
    const withOrphans = world({ vms: 4, seed: 23, orphans: 2 });
    for (const { world: w } of [plain, withOrphans]) w.start();
    for (let i = 0; i < 12; i++) {
      plain.clock.tick(5 * 60_000);
      withOrphans.clock.tick(5 * 60_000);
    }
    const vms = (w: FleetWorld) =>
      w
        .vms()
        .filter((v) => !v.orphan)
        .map((v) => [v.name, v.diskUsedPct, v.runningJobId]);
    expect(vms(withOrphans.world)).toEqual(vms(plain.world));
    expect(withOrphans.world.jobList()).toEqual(plain.world.jobList());
  });

  it('runs a job container on an orphan and lets the manager adopt one', () => {
    const { world: w, clock } = world({ vms: 2, orphans: 2, seed: 5, stuck: 0 });
    w.start();
    const [busy, adopted] = w.vms().filter((v) => v.orphan);
    const jobId = w.startOrphanJob(busy!.name);
    const containers = readHostState(busy!.stateDir).containers;
    expect(containers.map((c) => [c.state, c.labels[RUNNER_LABEL.jobId]])).toEqual([
      ['running', String(jobId)],
    ]);
    // GitLab does not know that job: it belongs to the manager that left the server behind.
    expect(w.jobList().some((j) => j.id === jobId)).toBe(false);
    w.adoptOrphan(adopted!.name);
    const listed = readHostState(w.managerStateDir).machines!.map((m) => m.name);
    expect(listed).toContain(adopted!.name);
    expect(listed).not.toContain(busy!.name);
    clock.tick(60_000);
    expect(readHostState(busy!.stateDir).containers).toHaveLength(1);
    expect(() => w.startOrphanJob(adopted!.name)).toThrow(/no orphan named/);
    expect(() => w.adoptOrphan('nope')).toThrow(/no orphan named nope/);
  });

  it('fills a VM up on demand', () => {
    const { world: w } = world({ vms: 2, seed: 8, stuck: 0 });
    w.start();
    const vm = w.vms()[1]!;
    w.fillUp(vm.name, 93);
    const after = w.vms()[1]!;
    expect(after.stuck).toBe(true);
    expect(after.diskUsedPct).toBeGreaterThanOrEqual(93);
    expect(() => w.fillUp(vm.name, 50)).toThrow(/fill-up target/);
    expect(() => w.fillUp('nope')).toThrow(/no VM named nope/);
  });

  it('as a docker-autoscaler instance group: <group>-<8 hex> instances, no docker-machine, traces that dial <name>:<server id>', () => {
    const { world: w, clock } = world({
      vms: 4,
      seed: 9,
      executor: 'docker-autoscaler',
      instanceGroup: 'ci-fleet',
      addressBlock: 6,
      managerAddress: '127.0.0.6',
      managerHostname: 'ci-fleet-manager',
      runnerId: 102,
      firstJobId: 80_001,
    });
    w.start();
    clock.tick(30 * 60_000);
    const vms = w.vms();
    expect(vms).toHaveLength(4);
    for (const vm of vms) {
      expect(vm.name).toMatch(/^ci-fleet-[0-9a-f]{8}$/);
      expect(vm.address).toBe(`127.0.6.${vm.slot}`);
      expect(vm.privateAddress).toBe(`127.0.7.${vm.slot}`);
      expect(vm.serverId).toBeGreaterThan(60_000_000);
    }
    expect(new Set(vms.map((v) => v.serverId)).size).toBe(4);
    expect(w.runner).toMatchObject({ id: 102, executor: 'docker-autoscaler' });
    // the fleeting manager has no docker-machine, but runs gitlab-runner
    const manager = readHostState(w.managerStateDir);
    expect(manager.machines).toEqual([]);
    expect(manager.hostname).toBe('ci-fleet-manager');
    const jobs = w.jobList();
    expect(jobs.every((j) => j.id >= 80_001)).toBe(true);
    const ran = jobs.filter((j) => j.machine !== null);
    expect(ran.length).toBeGreaterThan(0);
    for (const job of ran) {
      const serverId = job.instanceId?.split(':')[1];
      expect(job.instanceId).toBe(`${job.machine}:${serverId}`);
      expect(w.traceHead(job.id)).toBe(`Dialing instance ${job.instanceId}...`);
    }
    expect(() => world({ executor: 'docker-autoscaler', instanceGroup: 'Bad Group' })).toThrow(
      /instanceGroup must be/,
    );
    expect(() => world({ addressBlock: 254 })).toThrow(/addressBlock must be/);
  });

  it('rejects impossible options with a clear error', () => {
    expect(() => world({ vms: 0 })).toThrow(ScenarioError);
    expect(() => world({ vms: 25 })).toThrow(/vms must be an integer from 1 to 24/);
    expect(() => world({ vms: 2.5 })).toThrow(/vms must be an integer/);
    expect(() => world({ vms: 2, stuck: 3 })).toThrow(/stuck must be/);
    expect(() => world({ vms: 23, orphans: 2 })).toThrow(/orphans must be an integer from 0 to 1/);
    expect(() => world({ seed: 1.5 })).toThrow(/seed must be an integer/);
    expect(() => world({ projects: [] })).toThrow(/at least one project/);
    expect(() => world({ managerAddress: '10.0.0.2' })).toThrow(/loopback/);
    expect(() => new ManualClock().tick(-1)).toThrow(/non-negative/);
    const { world: w } = world();
    w.start();
    expect(() => w.start()).toThrow(/started already/);
  });
});
