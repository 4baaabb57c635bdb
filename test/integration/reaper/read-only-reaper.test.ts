import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Settings } from '../../../shared/settings';
import { readAudit } from '../../../electron/core/audit/audit-log';
import { Engine } from '../../../electron/core/engine';
import { createReaper } from '../../../electron/core/reaper/create-reaper';
import type { Reaper } from '../../../electron/core/reaper/reaper';
import { createHcloudSource } from '../../../electron/core/sources/hcloud/source';
import { HcloudSim } from '../../sim/hcloud-sim';
import { World } from './world';

// Two reapers on one state directory (two hosts of one user), each with its own engine over
// the same Hetzner simulator and scripted world: the one holding the lock acts and records;
// the other shows the same proposals blocked with the holder named, writes nothing, and
// after taking over keeps the budget the first one spent.
let sim: HcloudSim;
let dir: string;
let clock: number;
const world = new World('ci');
const engines: Engine[] = [];
const reapers: Reaper[] = [];

async function start(): Promise<{ engine: Engine; reaper: Reaper }> {
  const settings = Settings.parse({
    fleets: [
      {
        id: 'ci',
        // The selector identifies the fleet's VMs, so the reaper may delete them at all.
        reaper: { minFleetSize: 0, maxKillsPerHour: 1, selector: { labels: { role: 'ci' } } },
      },
    ],
    hetzner: [{ id: 'p', fleet: 'ci', token: { env: 'HCLOUD_TOKEN' }, apiUrl: sim.url }],
    stateDir: dir,
  });
  const token = sim.tokensOf().token;
  const secrets = { resolve: async () => token };
  const engine = new Engine({
    sources: [
      createHcloudSource({ settings: settings.hetzner[0] as Settings['hetzner'][number], secrets }),
      world.probe(),
      world.gitlab(),
    ],
    now: () => clock,
  });
  engines.push(engine);
  const reaper = await createReaper({
    settings,
    engine,
    secrets,
    now: () => clock,
    hcloud: { pollIntervalMs: 10, lockedDelayMs: 10, backoff: { baseMs: 5, maxMs: 10, jitter: 0 } },
    shutdownGraceMs: 50,
  });
  reapers.push(reaper);
  return { engine, reaper };
}

async function cycles(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    clock += 30_000;
    for (const engine of engines) await engine.runOnce();
    for (const reaper of reapers) await reaper.idle();
  }
}

beforeEach(async () => {
  sim = await HcloudSim.start({ deleteDelayMs: 0 });
  dir = mkdtempSync(join(tmpdir(), 'rw-read-only-'));
  clock = Date.UTC(2026, 10, 23, 10, 0, 0);
  for (const name of ['vm-a', 'vm-b']) {
    sim.addServer('default', { name, publicIp: '127.0.20.9', labels: { role: 'ci' } });
    world.set(name, { disk: 90, jobs: [] });
  }
});
afterEach(async () => {
  for (const reaper of reapers.splice(0)) await reaper.dispose();
  for (const engine of engines.splice(0)) await engine.dispose();
  await sim.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('a reaper that does not hold the state directory', () => {
  it('shows proposals blocked with the holder named, writes nothing, and inherits the spent budget', async () => {
    const first = await start();
    const second = await start();
    await cycles(3);
    const open = first.reaper.proposals().filter((p) => p.blocked.length === 0);
    // A budget of one: the more urgent proposal is open, the other waits for the budget.
    expect(open.map((p) => p.machineName)).toEqual(['vm-a']);
    expect(second.reaper.proposals()).toHaveLength(2);
    for (const p of second.reaper.proposals())
      expect(p.blocked[0]).toMatch(
        /^read-only: another Runner Watch process acts on .*pid \d+ \(reaper, /,
      );
    expect(second.reaper.warnings()).toHaveLength(1);
    // Only the holder wrote the proposals to the audit log.
    const proposals = (await readAudit({ dir, filter: { type: 'proposal' } })).records;
    expect(proposals.map((r) => r.machineName).sort()).toEqual(['vm-a', 'vm-b']);
    const id = (name: string, reaper: Reaper) =>
      reaper.proposals().find((p) => p.machineName === name)?.id ?? '';
    await expect(second.reaper.confirm(id('vm-b', second.reaper), 'bob@ws2')).rejects.toMatchObject(
      {
        code: 'read_only',
      },
    );
    await expect(second.reaper.setMode('ci', 'auto', 'bob@ws2')).rejects.toMatchObject({
      code: 'read_only',
    });
    expect(await first.reaper.confirm(id('vm-a', first.reaper), 'alice@ws1')).toMatchObject({
      outcome: 'ok',
    });
    expect(sim.list().map((s) => s.name)).toEqual(['vm-b']);

    // The watcher reads the holder's state: vm-a is done, and the budget of one is spent.
    await cycles(1);
    expect(
      second.reaper
        .proposals()
        .find((p) => p.machineName === 'vm-b')
        ?.blocked.join(),
    ).toMatch(/read-only.*hourly budget spent \(1 of 1/);
    // The holder stops; the watcher takes over (within its 5 s poll) and is still bound by it.
    await first.reaper.dispose();
    reapers.splice(reapers.indexOf(first.reaper), 1);
    const deadline = Date.now() + 15_000;
    while (second.reaper.warnings().length > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(second.reaper.warnings()).toEqual([]);
    await cycles(1);
    const result = await second.reaper.confirm(id('vm-b', second.reaper), 'bob@ws2');
    expect(result.outcome).toBe('refused');
    expect(result.reasons.join()).toMatch(/hourly budget spent \(1 of 1/);
    expect(sim.list().map((s) => s.name)).toEqual(['vm-b']);
    const takeOver = (await readAudit({ dir, filter: { type: 'recovery' } })).records;
    expect(takeOver[0]?.detail).toMatch(
      /now acts on .*the previous holder of the state directory lock exited/,
    );
  }, 60_000);
});
