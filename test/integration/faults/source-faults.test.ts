import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FleetSnapshot } from '../../../shared/fleet';
import type { SourceHealth } from '../../../shared/source';
import { Settings } from '../../../shared/settings';
import { createRuntime, type Runtime } from '../../../electron/core/runtime';
import { ManualClock } from '../../sim/clock';
import { startSimulatedFleet, type SimulatedFleet } from '../../sim/fleet';
import { faultTally } from './tally';
import { simSecrets } from '../../support/sim-secrets';

/*
 * One fault at a time against the whole collector set on the simulated fleet (Hetzner,
 * GitLab, the SSH probe; real HTTP and SSH clients). For each: the cycle completes (the app
 * keeps running), the sources the fault does not touch stay fresh, the faulty source's
 * state says what failed, and clearing the fault recovers on the next cycle.
 */
const HCLOUD = 'hetzner:sim-hcloud';
const GITLAB = 'gitlab:sim-gitlab';
const PROBE = 'ssh:probe';
const tally = faultTally('source faults');

let clock: ManualClock;
let fleet: SimulatedFleet;
let runtime: Runtime;

beforeAll(async () => {
  clock = new ManualClock(Date.UTC(2026, 10, 23, 10));
  fleet = await startSimulatedFleet({ clock, vms: 4, seed: 31, stuck: 1 });
  const input = fleet.settings;
  // A slow instance must hit the request timeout in this test's time, not after 15 s.
  const settings = Settings.parse({
    ...input,
    gitlab: (input.gitlab ?? []).map((g) => ({ ...g, timeoutSec: 2 })),
  });
  const env = fleet.env;
  runtime = await createRuntime({
    settings,
    secrets: simSecrets(env),
    host: 'cli',
    demo: true,
    version: 'test',
    now: () => clock.now(),
  });
  await cycle();
});
afterAll(async () => {
  await runtime?.dispose();
  await fleet?.dispose();
  clock?.dispose();
  tally.print();
});

async function cycle(tickMs = 10_000): Promise<FleetSnapshot> {
  clock.tick(tickMs);
  await fleet.settled();
  return runtime.engine.runOnce();
}

function health(snap: FleetSnapshot, id: string): SourceHealth {
  const found = snap.sources.find((s) => s.id === id);
  if (!found) throw new Error(`no source ${id} in ${snap.sources.map((s) => s.id).join(', ')}`);
  return found;
}

/** Every source other than `except` read successfully in the cycle that made `snap`. */
function expectFresh(snap: FleetSnapshot, except: string[]): void {
  for (const s of snap.sources) {
    if (except.includes(s.id)) continue;
    expect(s.lastError, `${s.id} is failing: ${s.lastError?.message ?? ''}`).toBeNull();
    expect(s.lastOkAt, `${s.id} did not succeed this cycle`).toBe(snap.generatedAt);
  }
}

/** All sources healthy again and every VM's disk and jobs known. */
async function expectRecovered(tickMs?: number): Promise<void> {
  const snap = await cycle(tickMs);
  expectFresh(snap, []);
  for (const m of snap.machines.filter((x) => x.kind === 'autoscaled')) {
    expect(m.disks.value, `${m.name}: ${m.disks.error ?? ''}`).not.toBeNull();
    expect(m.jobs.value, `${m.name}: ${m.jobs.error ?? ''}`).not.toBeNull();
  }
}

const gitlab = () => fleet.gitlab!.sim;

beforeEach(() => {
  const faults = gitlab().state.faults;
  faults.down = false;
  faults.downAfterRequests = null;
  faults.errors = null;
  faults.slowMs = 0;
  faults.tooMany = null;
});

describe('GitLab faults', () => {
  it('500s: GitLab fails with remote_error, Hetzner and SSH stay fresh, running jobs become unknown', async () => {
    tally.inject('gitlab 500');
    gitlab().state.faults.errors = { status: 500, remaining: 1_000 };
    const snap = await cycle();
    const g = health(snap, GITLAB);
    expect(g.state).toBe('failing');
    expect(g.lastError?.code).toBe('remote_error');
    expect(g.lastError?.message).toMatch(/500/);
    expectFresh(snap, [GITLAB]);
    gitlab().state.faults.errors = null;
    await expectRecovered();
    tally.survived('gitlab 500');
  });

  it('connection reset (instance down): unreachable, others fresh', async () => {
    tally.inject('gitlab down');
    gitlab().state.faults.down = true;
    const snap = await cycle();
    expect(health(snap, GITLAB).lastError?.code).toBe('unreachable');
    expectFresh(snap, [GITLAB]);
    gitlab().state.faults.down = false;
    await expectRecovered();
    tally.survived('gitlab down');
  });

  it('a slow instance (10 s answers) times out by its own limit while the others finish at once', async () => {
    tally.inject('gitlab slow 10 s');
    gitlab().state.faults.slowMs = 10_000;
    clock.tick(10_000);
    await fleet.settled();
    const engine = runtime.engine;
    const slow = engine.refresh(GITLAB);
    // Hetzner and the probe do not wait for GitLab.
    await engine.refresh(HCLOUD);
    await engine.refresh(PROBE);
    const during = engine.snapshot();
    expect(health(during, HCLOUD).lastOkAt).toBe(during.generatedAt);
    expect(health(during, PROBE).lastOkAt).toBe(during.generatedAt);
    await slow;
    const g = health(engine.snapshot(), GITLAB);
    expect(g.state).toBe('failing');
    expect(g.lastError?.code).toBe('timeout');
    gitlab().state.faults.slowMs = 0;
    await expectRecovered();
    tally.survived('gitlab slow 10 s');
  });

  it('a 429 storm with a long Retry-After: rate_limited, and the engine is told how long to wait', async () => {
    tally.inject('gitlab 429 storm');
    gitlab().state.faults.tooMany = { remaining: 10_000, retryAfterSec: 300 };
    const snap = await cycle();
    const g = health(snap, GITLAB);
    expect(g.lastError?.code).toBe('rate_limited');
    expect(g.lastError?.message).toMatch(/300|5 min/);
    expectFresh(snap, [GITLAB]);
    // The request count stays bounded: the source does not hammer a rate-limited server.
    const before = gitlab().requests.length;
    await cycle();
    expect(gitlab().requests.length - before).toBeLessThanOrEqual(2);
    gitlab().state.faults.tooMany = null;
    await expectRecovered();
    tally.survived('gitlab 429 storm');
  });

  it('token revoked mid-run: unauthorized with the fix named, never the token; recovers when restored', async () => {
    tally.inject('gitlab token revoked');
    const token = gitlab().state.tokens[0]!;
    token.revoked = true;
    const snap = await cycle();
    const g = health(snap, GITLAB);
    expect(g.lastError?.code).toBe('unauthorized');
    expect(g.lastError?.message).not.toContain(token.token);
    expect(JSON.stringify(snap)).not.toContain(token.token);
    expectFresh(snap, [GITLAB]);
    // A rejected token is left alone for 15 minutes (401s in a loop can lock an account):
    // the next cycle does not ask GitLab again.
    const requests = gitlab().requests.length;
    token.revoked = false;
    expect(health(await cycle(), GITLAB).lastError?.code).toBe('unauthorized');
    expect(gitlab().requests.length).toBe(requests);
    await expectRecovered(15 * 60_000);
    tally.survived('gitlab token revoked');
  });

  it('instance downgraded/upgraded mid-run (managers endpoint gone, runner status missing): keeps reading', async () => {
    tally.inject('gitlab version change');
    gitlab().state.version = 'old';
    const snap = await cycle();
    const g = health(snap, GITLAB);
    expect(g.lastError, g.lastError?.message).toBeNull();
    expect(snap.runners.length).toBeGreaterThan(0);
    expectFresh(snap, []);
    gitlab().state.version = 'current';
    await expectRecovered();
    tally.survived('gitlab version change');
  });
});

describe('Hetzner faults', () => {
  it('API down: Hetzner unreachable, VMs keep their last identity (not gone), GitLab and SSH fresh', async () => {
    tally.inject('hetzner down');
    const before = (await cycle()).machines.map((m) => m.name).sort();
    fleet.hcloud.setDown(true);
    try {
      const snap = await cycle();
      const h = health(snap, HCLOUD);
      expect(h.lastError?.code).toBe('unreachable');
      // An outage is not a deletion: every machine is still there.
      expect(snap.machines.map((m) => m.name).sort()).toEqual(before);
      expectFresh(snap, [HCLOUD]);
    } finally {
      fleet.hcloud.setDown(false);
    }
    await expectRecovered();
    tally.survived('hetzner down');
  });

  it('503s: remote_error, others fresh', async () => {
    tally.inject('hetzner 503');
    fleet.hcloud.failNext(12, 503);
    const snap = await cycle();
    expect(health(snap, HCLOUD).lastError?.code).toBe('remote_error');
    expectFresh(snap, [HCLOUD]);
    // the client's own retries use up what is left of the injected failures
    for (let i = 0; i < 12 && health(runtime.engine.snapshot(), HCLOUD).lastError; i++)
      await cycle();
    await expectRecovered();
    tally.survived('hetzner 503');
  });

  it('429 (budget spent): rate_limited with the wait, others fresh', async () => {
    tally.inject('hetzner 429');
    clock.tick(10_000);
    // after the tick: the budget refills with time
    fleet.hcloud.setRateLimitRemaining(0);
    const snap = await cycle(0);
    const h = health(snap, HCLOUD);
    expect(h.lastError?.code).toBe('rate_limited');
    expectFresh(snap, [HCLOUD]);
    fleet.hcloud.setRateLimitRemaining(3_600);
    await expectRecovered();
    tally.survived('hetzner 429');
  });
});

describe('SSH faults', () => {
  const vmAddress = (i: number) => fleet.world.vms()[i]!.address;
  const vmName = (i: number) => fleet.world.vms()[i]!.name;
  const byName = (snap: FleetSnapshot, name: string) => snap.machines.find((m) => m.name === name);

  it('connection dropped mid-probe: that VM unknown with the reason, the others read', async () => {
    tally.inject('ssh drop mid-probe');
    const address = vmAddress(0);
    await fleet.ssh.setFault(address, 'drop');
    try {
      const snap = await cycle();
      const m = byName(snap, vmName(0))!;
      expect(m.disks.value).toBeNull();
      expect(m.jobs.value).toBeNull();
      expect(m.disks.error ?? '').not.toBe('');
      expect(byName(snap, vmName(1))?.disks.value).not.toBeNull();
      expectFresh(snap, [PROBE]);
    } finally {
      await fleet.ssh.setFault(address, null);
    }
    await expectRecovered();
    tally.survived('ssh drop mid-probe');
  });

  it('host hangs after authentication: times out, the others read', async () => {
    tally.inject('ssh hang after auth');
    const address = vmAddress(1);
    await fleet.ssh.setFault(address, 'hang-exec');
    try {
      const snap = await cycle();
      const m = byName(snap, vmName(1))!;
      expect(m.disks.value).toBeNull();
      expect(m.disks.error).toMatch(/within|timed? ?out/i);
      expect(byName(snap, vmName(0))?.disks.value).not.toBeNull();
      expectFresh(snap, [PROBE]);
    } finally {
      await fleet.ssh.setFault(address, null);
    }
    await expectRecovered();
    tally.survived('ssh hang after auth');
  });

  it('host key changes: refused with the new fingerprint, never probed, the others read', async () => {
    tally.inject('ssh host key changed');
    const address = vmAddress(2);
    await fleet.ssh.rotateHostKey(address);
    const before = fleet.ssh.execs.filter((e) => e.address === address).length;
    const snap = await cycle();
    const m = byName(snap, vmName(2))!;
    expect(m.disks.value).toBeNull();
    expect(m.disks.error).toMatch(/host key/i);
    expect(m.disks.error).toMatch(/SHA256:/);
    // Nothing ran on a host that could not prove who it is.
    expect(fleet.ssh.execs.filter((e) => e.address === address).length).toBe(before);
    expect(byName(snap, vmName(0))?.disks.value).not.toBeNull();
    expectFresh(snap, [PROBE]);
    tally.survived('ssh host key changed');
  });
});
