import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Settings } from '../../../shared/settings';
import { Engine } from '../../../electron/core/engine';
import { createProbeSource } from '../../../electron/core/sources/ssh/probe-source';
import { SshPool } from '../../../electron/core/sources/ssh/pool';
import { createRuntime, type Runtime } from '../../../electron/core/runtime';
import { ManualClock } from '../../sim/clock';
import { SIM_MANAGER_FLEET_ID, startSimulatedFleet, type SimulatedFleet } from '../../sim/fleet';
import { writeHostState } from '../../sim/host-state';
import { SshSim, type SshFault } from '../../sim/ssh-sim';
import { faultTally } from './tally';
import { simSecrets } from '../../support/sim-secrets';

const tally = faultTally('ssh fleet faults');
afterAll(() => tally.print());

/*
 * 100 dedicated hosts, 30 of them unreachable in three ways (connection refused, TCP open
 * but no SSH banner, authenticated but the command never returns): the probe cycle ends on
 * the per-host timeouts, never on the source's overall timeout, so the 70 good hosts are read
 * in the same cycle and the 30 are unknown with a reason each.
 */
describe('100 hosts, 30 unreachable', () => {
  const HOSTS = 100;
  const faults: SshFault[] = ['refuse', 'hang', 'hang-exec'];
  let root: string;
  let sim: SshSim;
  let engine: Engine;
  let pool: SshPool;
  const address = (i: number) => `127.0.6.${i + 1}`;
  const faultOf = (i: number): SshFault => (i % 10 < 3 ? (faults[i % 10] ?? null) : null);

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'rw-100-hosts-'));
    const hosts = Array.from({ length: HOSTS }, (_, i) => {
      const stateDir = join(root, `h${i}`);
      mkdirSync(stateDir);
      writeHostState(stateDir, {
        hostname: `build-${i}`,
        now: 1_700_000_000,
        mounts: [
          {
            device: '/dev/sda1',
            fstype: 'ext4',
            mount: '/',
            sizeKiB: 1_000_000,
            usedKiB: 100_000 + i * 1000,
            availKiB: 900_000 - i * 1000,
            inodes: null,
          },
        ],
      });
      return { address: address(i), stateDir, name: `build-${i}` };
    });
    sim = await SshSim.start({ hosts });
    const knownHosts = join(root, 'known_hosts');
    sim.writeKnownHosts(knownHosts);
    for (let i = 0; i < HOSTS; i++) {
      const fault = faultOf(i);
      if (fault) await sim.setFault(address(i), fault);
    }
    const settings = Settings.parse({
      fleets: [
        {
          id: 'builders',
          kind: 'dedicated',
          watchedMounts: ['/'],
          ssh: {
            user: sim.user,
            port: sim.sharedPort,
            identityFiles: [sim.clientKeyFile],
            useAgent: false,
            knownHostsFile: knownHosts,
            connectTimeoutSec: 2,
            commandTimeoutSec: 3,
          },
        },
      ],
      sshHosts: hosts.map((h) => ({ alias: h.name, fleet: 'builders', host: h.address })),
      probe: { sshConfigFile: null, concurrency: 16 },
    });
    pool = new SshPool({ agentSocket: null });
    engine = new Engine({ sources: [createProbeSource({ settings, secrets: null, pool })] });
  });
  afterAll(async () => {
    await engine?.dispose();
    await pool?.dispose();
    await sim?.dispose();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('reads the 70, names each of the 30 with its reason, and ends on per-host timeouts', async () => {
    for (const f of faults) tally.inject(`100 hosts: 10 × ${f ?? ''}`);
    const started = Date.now();
    const snap = await engine.runOnce();
    const tookMs = Date.now() - started;
    const probe = snap.sources[0]!;
    // The source finished its cycle itself (degraded), it was not cut off by its own timeout.
    expect(probe.lastError, probe.lastError?.message).toBeNull();
    expect(probe.state).toBe('degraded');
    expect(probe.warnings.join('\n')).toMatch(/30 of 100 hosts not probed/);
    const byName = new Map(snap.machines.map((m) => [m.name, m]));
    for (let i = 0; i < HOSTS; i++) {
      const m = byName.get(`build-${i}`);
      expect(m, `build-${i}`).toBeDefined();
      if (faultOf(i)) {
        expect(m?.disks.value, `build-${i}`).toBeNull();
        expect(m?.jobs.value, `build-${i}`).toBeNull();
        expect(m?.disks.error ?? '', `build-${i}`).not.toBe('');
      } else {
        expect(m?.disks.value?.[0]?.mount, `build-${i}: ${m?.disks.error ?? ''}`).toBe('/');
      }
    }
    console.log(`figures: probe cycle over ${HOSTS} hosts with 30 unreachable took ${tookMs} ms`);
    for (const f of faults) tally.survived(`100 hosts: 10 × ${f ?? ''}`);
  });
});

/*
 * VMs probed through the runner manager as jump host: when the manager is down, every VM
 * is unknown (with the jump host named), nothing is taken for idle, and Hetzner and GitLab
 * stay fresh.
 */
describe('jump host down', () => {
  let clock: ManualClock;
  let fleet: SimulatedFleet;
  let runtime: Runtime;

  beforeAll(async () => {
    clock = new ManualClock(Date.UTC(2026, 10, 23, 10));
    fleet = await startSimulatedFleet({ clock, vms: 3, seed: 5, dockerMachine: 'via-manager' });
    const env = fleet.env;
    runtime = await createRuntime({
      settings: Settings.parse(fleet.settings),
      secrets: simSecrets(env),
      host: 'cli',
      demo: true,
      version: 'test',
      now: () => clock.now(),
    });
  });
  afterAll(async () => {
    await runtime?.dispose();
    await fleet?.dispose();
    clock?.dispose();
  });

  const cycle = async () => {
    clock.tick(10_000);
    await fleet.settled();
    return runtime.engine.runOnce();
  };

  it('every VM unknown with the reason; Hetzner and GitLab fresh; back after the manager returns', async () => {
    tally.inject('jump host down');
    const ok = await cycle();
    const vms = ok.machines.filter((m) => m.fleet !== SIM_MANAGER_FLEET_ID);
    expect(vms.length).toBeGreaterThan(0);
    for (const m of vms) expect(m.disks.value, `${m.name}: ${m.disks.error ?? ''}`).not.toBeNull();

    // The manager dies: open connections drop, new ones are refused.
    await fleet.ssh.removeHost(fleet.manager.address);
    try {
      const snap = await cycle();
      for (const m of snap.machines.filter((x) => x.fleet !== SIM_MANAGER_FLEET_ID)) {
        expect(m.disks.value, m.name).toBeNull();
        expect(m.jobs.value, m.name).toBeNull();
        expect(m.disks.error ?? '', m.name).not.toBe('');
      }
      for (const s of snap.sources.filter((x) => x.kind === 'hetzner' || x.kind === 'gitlab'))
        expect(s.lastOkAt, `${s.id}: ${s.lastError?.message ?? ''}`).toBe(snap.generatedAt);
      const dm = snap.sources.find((s) => s.kind === 'docker-machine');
      expect(dm?.lastError?.code).toBe('unreachable');
    } finally {
      await fleet.ssh.addHost({
        address: fleet.manager.address,
        stateDir: fleet.manager.stateDir,
        name: 'runner-manager-1',
      });
    }
    // The pool backs off after failed connects (wall-clock seconds): wait it out.
    let back = await cycle();
    for (let i = 0; i < 10 && back.machines.some((m) => m.disks.value === null); i++) {
      await new Promise((r) => setTimeout(r, 1000));
      back = await cycle();
    }
    for (const m of back.machines)
      expect(m.disks.value, `${m.name}: ${m.disks.error ?? ''}`).not.toBeNull();
    tally.survived('jump host down');
  });
});
