import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetSnapshot } from '../../../shared/fleet';
import { startSimulatedFleet, type SimulatedFleet } from '../../sim/fleet';
import { childEnv, runCli } from './run-cli';

// Issue 15.2 through the real command: `scan` on a fleet with one server the runner
// manager does not list shows it with its cost so far, in --json and in the table.
describe('scan shows orphans', () => {
  let dir: string;
  let sim: SimulatedFleet;
  let config: string;
  let orphan: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rw-cli-orphans-'));
    sim = await startSimulatedFleet({ vms: 3, orphans: 1, seed: 9, dockerMachine: 'direct' });
    await sim.settled();
    orphan = sim.world.vms().find((vm) => vm.orphan)!.name;
    config = join(dir, 'config.json');
    await writeFile(config, JSON.stringify(sim.settings, null, 2));
  }, 60_000);
  afterAll(async () => {
    await sim?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('prints the orphan status, priced, in --json and in the table', async () => {
    const run = await runCli(['scan', '--config', config, '--json'], { env: childEnv(sim.env) });
    expect(run.code, run.stderr).toBe(0);
    const snapshot = FleetSnapshot.parse(JSON.parse(run.stdout));
    const unlisted = snapshot.machines.filter((m) => m.orphan);
    expect(unlisted.map((m) => m.name)).toEqual([orphan]);
    const status = unlisted[0]!.orphan!;
    expect(status.managers).toEqual(['docker-machine on runner-manager-1']);
    // One cycle may not link every finished GitLab job yet: then it is unlisted, saying so.
    if (status.state === 'unlisted') expect(status.unknown.length).toBeGreaterThan(0);
    expect(status.notYet).toEqual([]);
    // Priced from the simulated Hetzner's /server_types (cx22), since the server's creation.
    expect(status.perHour).toBeGreaterThan(0);
    const hours = (snapshot.generatedAt - unlisted[0]!.createdAt!) / 3_600_000;
    expect(status.costSoFar).toBeCloseTo(status.perHour! * hours, 6);
    // The VMs the manager lists carry no orphan status.
    for (const m of snapshot.machines.filter((x) => x.name !== orphan))
      expect(m, m.name).not.toHaveProperty('orphan');

    const text = await runCli(['scan', '--config', config], { env: childEnv(sim.env) });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('ORPHANS (servers no runner manager lists)');
    expect(text.stdout).toMatch(
      new RegExp(`  ${orphan}  (orphan|unlisted), age \\d+ d, .*\\d+\\.\\d{2} EUR so far`),
    );
    expect(text.stdout).toContain('    not listed by docker-machine on runner-manager-1');
  });
});
