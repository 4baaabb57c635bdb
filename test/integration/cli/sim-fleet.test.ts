import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppInfo } from '../../../shared/api';
import { FleetSnapshot } from '../../../shared/fleet';
import { Settings } from '../../../shared/settings';
import { startSimulatedFleet, type SimulatedFleet } from '../../sim/fleet';
import { childEnv, runCli, startCli, type RunningCli } from './run-cli';

/** Server names the simulated Hetzner API lists for an entry, asked the way the source asks. */
async function hetznerNames(
  entry: Settings['hetzner'][number],
  env: Record<string, string>,
): Promise<string[]> {
  const token = 'env' in entry.token ? env[entry.token.env] : undefined;
  if (!token) throw new Error(`the simulated fleet gives no token for hetzner ${entry.id}`);
  const names: string[] = [];
  for (let page = 1; ; page += 1) {
    const url = new URL(`${entry.apiUrl.replace(/\/$/, '')}/servers`);
    url.searchParams.set('page', String(page));
    url.searchParams.set('per_page', '50');
    if (entry.labelSelector) url.searchParams.set('label_selector', entry.labelSelector);
    const res = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
    const body = (await res.json()) as {
      servers: { name: string; status: string }[];
      meta: { pagination: { next_page: number | null } };
    };
    for (const server of body.servers) {
      if (!entry.namePrefix || server.name.startsWith(entry.namePrefix)) names.push(server.name);
    }
    if (!body.meta.pagination.next_page) return names;
  }
}

describe('runner-watch against the simulated fleet (child process)', () => {
  let dir: string;
  let sim: SimulatedFleet;
  let settings: Settings;
  const running: RunningCli[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rw-cli-sim-'));
    await mkdir(join(dir, 'renderer'));
    await writeFile(
      join(dir, 'renderer', 'index.html'),
      '<!doctype html><title>demo test page</title>',
    );
    // With the runner manager: Hetzner, docker-machine and the SSH probe all see the VMs.
    sim = await startSimulatedFleet({ vms: 4, seed: 7, dockerMachine: 'direct' });
    await sim.settled();
    settings = Settings.parse(sim.settings);
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.stop('SIGKILL')));
  });
  afterAll(async () => {
    await sim?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('scan --json lists the machines of the scenario', async () => {
    const path = join(dir, 'sim-config.json');
    await writeFile(path, JSON.stringify(sim.settings, null, 2));
    const run = await runCli(['scan', '--config', path, '--json'], { env: childEnv(sim.env) });
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.code, run.stderr).toBe(0);
    const snapshot = FleetSnapshot.parse(JSON.parse(run.stdout));
    for (const secret of Object.values(sim.env)) {
      if (secret.length >= 4) expect(run.stdout + run.stderr).not.toContain(secret);
    }

    const names = snapshot.machines.map((m) => m.name);
    const expected: string[] = [];
    for (const entry of settings.hetzner) expected.push(...(await hetznerNames(entry, sim.env)));
    expect(expected.length).toBeGreaterThan(0);
    const fromHetzner = snapshot.machines
      .filter((m) => m.provider === 'hetzner')
      .map((m) => m.name);
    expect([...fromHetzner].sort()).toEqual([...expected].sort());
    for (const host of settings.sshHosts) expect(names).toContain(host.alias);
    for (const machine of snapshot.machines) {
      expect(settings.fleets.map((f) => f.id)).toContain(machine.fleet);
      // Unknown is never silent: a disk reading is there, or the reason it is not.
      expect(machine.disks.value !== null || machine.disks.error !== null, machine.name).toBe(true);
    }
    // The SSH probe reached the simulated VMs through the CLI's own settings and secrets.
    expect(snapshot.machines.some((m) => m.disks.value?.some((d) => d.mount === '/'))).toBe(true);
    // One machine per VM whatever listed it: Hetzner, the manager's docker-machine ls and
    // the probe merge into one entry, and the manager itself is a dedicated host.
    const merged = snapshot.machines.filter(
      (m) => m.provider === 'hetzner' && m.status.value === 'running',
    );
    expect(merged.length).toBeGreaterThan(0);
    for (const machine of merged) {
      expect(
        machine.seenBy.some((s) => s.startsWith('docker-machine:')),
        machine.name,
      ).toBe(true);
      expect(machine.seenBy, machine.name).toContain('ssh:probe');
    }
    expect(new Set(names).size).toBe(names.length);
    expect(snapshot.machines.some((m) => m.kind === 'dedicated' && m.provider === 'ssh')).toBe(
      true,
    );
  });

  it('demo falls back to the serve host without Electron, serves the simulated fleet and exits 0 on SIGTERM', async () => {
    const cli = await startCli(
      [
        'demo',
        '--no-open',
        '--port',
        '0',
        '--vms',
        '3',
        '--seed',
        '3',
        '--renderer-dir',
        join(dir, 'renderer'),
      ],
      { timeoutMs: 30_000 },
    );
    running.push(cli);
    expect(cli.url.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(cli.stderr()).toContain('serve host');
    const auth = { Authorization: `Bearer ${cli.token}` };
    const info = AppInfo.parse(
      await (
        await fetch(new URL('/api/invoke/rw:app:info', cli.url), { method: 'POST', headers: auth })
      ).json(),
    );
    expect(info.demo).toBe(true);
    await expect
      .poll(
        async () => {
          const res = await fetch(new URL('/api/invoke/rw:fleet:snapshot', cli.url), {
            method: 'POST',
            headers: auth,
          });
          return FleetSnapshot.parse(await res.json()).machines.length;
        },
        { timeout: 20_000, interval: 250 },
      )
      .toBeGreaterThan(0);
    const result = await cli.stop('SIGTERM');
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual([`Runner Watch: ${cli.url.href}`]);
  });
});
