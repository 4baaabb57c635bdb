import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Settings, type SecretRef } from '../../../shared/settings';
import { Engine } from '../../../electron/core/engine';
import { redactor } from '../../../electron/core/errors/redact';
import { createReaper } from '../../../electron/core/reaper/create-reaper';
import type { Reaper } from '../../../electron/core/reaper/reaper';
import { createHcloudSource } from '../../../electron/core/sources/hcloud/source';
import { HcloudSim } from '../../sim/hcloud-sim';
import { World } from './world';

// A fleet watched through two Hetzner projects (issue 9, point 4): the delete must go to
// the project that listed the server, with that project's token. Another project's token
// answers 404 for it, which must never be taken for "already gone".
let sim: HcloudSim;
let dir: string;
let clock: number;
let engine: Engine;
let reaper: Reaper | null;
let world: World;

beforeEach(async () => {
  sim = await HcloudSim.start({ deleteDelayMs: 0, projects: [{ name: 'old' }, { name: 'new' }] });
  dir = mkdtempSync(join(tmpdir(), 'rw-projects-'));
  clock = Date.UTC(2026, 10, 23, 10, 0, 0);
  world = new World('ci');
  reaper = null;
});
afterEach(async () => {
  await reaper?.dispose();
  await engine?.dispose();
  await sim.dispose();
  rmSync(dir, { recursive: true, force: true });
});

async function cycles(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    clock += 30_000;
    await engine.runOnce();
    await reaper?.idle();
  }
}

describe('deleting in the right Hetzner project', () => {
  it('a server that moved to another project under the same name is deleted there, not reported "already gone"', async () => {
    const tokens = { OLD: sim.tokensOf('old').token, NEW: sim.tokensOf('new').token };
    for (const token of Object.values(tokens)) redactor.register(token);
    const settings = Settings.parse({
      fleets: [{ id: 'ci', reaper: { minFleetSize: 0 } }],
      // Sorted by id the old project comes first: the one a "first hetzner: source" picks.
      hetzner: [
        {
          id: 'a-old',
          fleet: 'ci',
          token: { env: 'OLD' },
          apiUrl: sim.url,
          labelSelector: 'role=ci',
        },
        {
          id: 'b-new',
          fleet: 'ci',
          token: { env: 'NEW' },
          apiUrl: sim.url,
          labelSelector: 'role=ci',
        },
      ],
      stateDir: dir,
    });
    const secrets = {
      resolve: async (ref: SecretRef) => {
        const value = 'env' in ref ? tokens[ref.env as keyof typeof tokens] : undefined;
        if (value === undefined) throw new Error('unknown secret');
        return value;
      },
    };
    engine = new Engine({
      sources: [
        ...settings.hetzner.map((project) => createHcloudSource({ settings: project, secrets })),
        world.probe(),
        world.gitlab(),
      ],
      now: () => clock,
    });
    reaper = await createReaper({ settings, engine, secrets, now: () => clock });

    const first = sim.addServer('old', {
      name: 'vm-x',
      publicIp: '127.0.22.1',
      labels: { role: 'ci' },
    });
    world.set('vm-x', { disk: 95, jobs: [] });
    await cycles(1);
    // Recreated in the other project under the same name and address.
    sim.removeServer(first.id);
    const moved = sim.addServer('new', {
      name: 'vm-x',
      publicIp: '127.0.22.1',
      labels: { role: 'ci' },
    });
    await cycles(3);
    const machine = engine.machines().find((m) => m.name === 'vm-x');
    expect(machine?.seenBy).toEqual(['hetzner:a-old', 'hetzner:b-new', 'ssh:ci']);
    const proposal = reaper.proposals().find((p) => p.machineName === 'vm-x');
    expect(proposal?.blocked).toEqual([]);
    expect(proposal?.providerSource).toBe('hetzner:b-new');
    expect(proposal?.providerId).toBe(String(moved.id));

    const result = await reaper.confirm(proposal?.id ?? '', 'alice@ws1');
    expect(result, JSON.stringify(result)).toMatchObject({ outcome: 'ok' });
    expect(result.detail).toMatch(new RegExp(`server ${moved.id} deleted`));
    expect(result.detail).not.toMatch(/already gone/);
    expect(sim.list('new')).toEqual([]);
    const deletesBy = sim.requests.filter((r) => r.method === 'DELETE').map((r) => r.project);
    expect(deletesBy).toEqual(['new']);
  });
});
