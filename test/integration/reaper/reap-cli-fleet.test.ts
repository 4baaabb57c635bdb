import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAudit } from '../../../electron/core/audit/audit-log';
import { startSimulatedFleet, type SimulatedFleet } from '../../sim/fleet';
import { binPath, childEnv, runCli } from '../cli/run-cli';

// `runner-watch reap` as users run it, on the simulated fleet (real collectors in the
// child process): the dry run names the stuck VM; a confirmation interrupted by SIGTERM
// while Hetzner keeps the server locked ends cleanly, recorded in audit and state.
let fleet: SimulatedFleet;
let dir: string;
let configPath: string;
let stateDir: string;
let env: Record<string, string>;

beforeAll(async () => {
  // Few new jobs: a job landing on the stuck VM (the scenario does that now and then) would
  // rightly block it and make this test wait for nothing.
  fleet = await startSimulatedFleet({
    vms: 4,
    seed: 3,
    stuck: 1,
    deleteDelayMs: 0,
    speed: 1,
    scenario: { jobsPerHour: 1 },
  });
  dir = await mkdtemp(join(tmpdir(), 'rw-reap-fleet-'));
  stateDir = join(dir, 'state');
  configPath = join(dir, 'config.json');
  await writeFile(configPath, JSON.stringify({ ...fleet.settings, stateDir }));
  env = childEnv(fleet.env);
});
afterAll(async () => {
  await fleet?.dispose();
  await rm(dir, { recursive: true, force: true });
});

const stuckName = () => fleet.world.vms().find((vm) => vm.stuck)?.name ?? '';

describe('runner-watch reap on the simulated fleet', () => {
  it('--dry-run lists the stuck VM as ready, deletes nothing', async () => {
    const run = await runCli(
      ['reap', '--config', configPath, '--dry-run', '--cycles', '3', '--interval', '1'],
      { env },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(`^WOULD RUN\\s+sim-hetzner/${stuckName()}\\s+disk → hcloud-delete`, 'm'),
    );
    expect(fleet.hcloud.requests.filter((r) => r.method === 'DELETE')).toEqual([]);
  }, 90_000);

  it('SIGTERM during a confirmed delete: stops cleanly (exit 0), the action is finished or recorded', async () => {
    const name = stuckName();
    const server = fleet.hcloud.list().find((s) => s.name === name);
    expect(server).toBeDefined();
    fleet.hcloud.lockServer(server!.id);
    const child = spawn(
      process.execPath,
      [
        binPath,
        'reap',
        '--config',
        configPath,
        '--confirm',
        name,
        '--cycles',
        '3',
        '--interval',
        '1',
      ],
      {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) =>
      child.on('close', (code) => resolve(code)),
    );
    try {
      const deadline = Date.now() + 60_000;
      while (!fleet.hcloud.requests.some((r) => r.method === 'DELETE') && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(
        fleet.hcloud.requests.some((r) => r.method === 'DELETE'),
        stderr,
      ).toBe(true);
      child.kill('SIGTERM');
      expect(await exited, stderr).toBe(0);
    } finally {
      child.kill('SIGKILL');
      fleet.hcloud.unlockServer(server!.id);
    }
    expect(stderr).toMatch(/stopped by signal/);
    const { records } = await readAudit({ dir: stateDir, filter: { machine: name } });
    const last = records[0];
    expect(['result', 'interrupted']).toContain(last?.type);
    const state = JSON.parse(await readFile(join(stateDir, 'reaper-state.json'), 'utf8')) as {
      inFlight: { machineName: string }[];
    };
    if (last?.type === 'interrupted')
      expect(state.inFlight.map((a) => a.machineName)).toEqual([name]);
    else expect(state.inFlight).toEqual([]);
    expect(fleet.hcloud.list().map((s) => s.name)).toContain(name);
  }, 120_000);
});
