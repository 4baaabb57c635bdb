import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppInfo } from '../../../shared/api';
import { ApiError } from '../../../shared/errors';
import { startSimulatedFleet, type SimulatedFleet } from '../../sim/fleet';
import { childEnv, runCli, startCli, type RunningCli } from '../cli/run-cli';

// Several real Runner Watch processes on one state directory, against the simulated fleet
// (real collectors in each child): only the holder of the state directory's lock acts, the
// hourly budget is one for all of them, and a crashed holder is taken over.
let fleet: SimulatedFleet;
let dir: string;
let env: Record<string, string>;
const running: RunningCli[] = [];

beforeAll(async () => {
  fleet = await startSimulatedFleet({
    vms: 5,
    seed: 3,
    stuck: 3,
    deleteDelayMs: 0,
    speed: 1,
    scenario: { jobsPerHour: 1 },
  });
  dir = await mkdtemp(join(tmpdir(), 'rw-lock-procs-'));
  env = childEnv(fleet.env);
}, 60_000);
afterEach(async () => {
  for (const cli of running.splice(0)) await cli.stop('SIGKILL');
});
afterAll(async () => {
  await fleet?.dispose();
  await rm(dir, { recursive: true, force: true });
});

/** A config on the simulated fleet with its own state directory and a budget of one. */
async function config(name: string): Promise<{ path: string; stateDir: string }> {
  const settings = fleet.settings as { fleets: { reaper?: object }[] };
  const stateDir = join(dir, `${name}-state`);
  const path = join(dir, `${name}.json`);
  await writeFile(
    path,
    JSON.stringify({
      ...settings,
      fleets: settings.fleets.map((f) => ({
        ...f,
        reaper: { ...f.reaper, maxKillsPerHour: 1, minFleetSize: 0 },
      })),
      stateDir,
    }),
  );
  return { path, stateDir };
}

const stuck = () =>
  fleet.world
    .vms()
    .filter((vm) => vm.stuck)
    .map((vm) => vm.name);
const deletes = () => fleet.hcloud.requests.filter((r) => r.method === 'DELETE').length;
const reap = (path: string, machine: string) =>
  runCli(['reap', '--config', path, '--confirm', machine, '--cycles', '3', '--interval', '1'], {
    env,
  });

async function call(cli: RunningCli, channel: string, body: object = {}): Promise<Response> {
  return fetch(new URL(`/api/invoke/${channel}`, cli.url), {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${cli.token}`,
      Origin: cli.url.origin,
      'Content-Type': 'application/json',
    },
    body: JSON.stringify(body),
  });
}

const warnings = async (cli: RunningCli) =>
  AppInfo.parse(await (await call(cli, 'rw:app:info')).json()).warnings;

describe('one state directory, several processes', () => {
  it('two `reap --confirm` at once: exactly one acts, and the hourly budget holds across both', async () => {
    const { path, stateDir } = await config('two-reaps');
    const [first, second] = stuck();
    expect(first && second).toBeTruthy();
    const before = deletes();
    const runs = await Promise.all([reap(path, first!), reap(path, second!)]);
    const output = runs.map((r) => r.stderr).join('\n---\n');
    expect(deletes() - before, output).toBe(1);
    expect(runs.map((r) => r.code).sort(), output).toEqual([0, 1]);
    const loser = runs.find((r) => r.code === 1)!;
    // Refused either while the other held the lock, or after taking it over from the
    // winner's state file: then the budget the winner spent counts here too.
    expect(loser.stderr).toMatch(
      /read-only: another Runner Watch process acts on .*pid \d+ \(reap --confirm|hourly budget spent \(1 of 1/,
    );
    // A third run, alone now: the one kill of the hour was spent by another process.
    const third = await reap(
      path,
      stuck().find((name) => name !== first && name !== second)!,
    );
    expect(third.code, third.stderr).toBe(1);
    expect(third.stderr).toMatch(/hourly budget spent \(1 of 1 actions in the last hour\)/);
    expect(deletes() - before).toBe(1);
    const state = JSON.parse(await readFile(join(stateDir, 'reaper-state.json'), 'utf8')) as {
      ledger: unknown[];
    };
    expect(state.ledger).toHaveLength(1);
  }, 180_000);

  it('a second serve is read-only and says why; when the holder is killed it takes over; a dead holder does not block `reap`', async () => {
    const { path } = await config('serve-pair');
    const args = ['serve', '--config', path, '--port', '0'];
    const holder = await startCli(args, { env, timeoutMs: 60_000 });
    running.push(holder);
    const watcher = await startCli(args, { env, timeoutMs: 60_000 });
    running.push(watcher);
    expect(await warnings(holder)).toEqual([]);
    const why = await warnings(watcher);
    expect(why.join()).toMatch(
      new RegExp(
        `^read-only: another Runner Watch process acts on .*: pid ${holder.child.pid} \\(serve, `,
      ),
    );
    expect(watcher.stderr()).toMatch(/warning: read-only: another Runner Watch process/);
    // Command channels answer with the typed error, naming the holder.
    const refused = await call(watcher, 'rw:reaper:set-mode', {
      fleet: 'sim-hetzner',
      mode: 'off',
    });
    expect(refused.status).toBe(409);
    const error = ApiError.parse(await refused.json());
    expect(error.code).toBe('read_only');
    expect(error.message).toContain(`pid ${holder.child.pid}`);

    // The holder crashes (no clean release): its lock file stays, with a dead pid.
    await holder.stop('SIGKILL');
    const deadline = Date.now() + 30_000;
    while ((await warnings(watcher)).length > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 250));
    expect(await warnings(watcher)).toEqual([]);
    const switched = await call(watcher, 'rw:reaper:set-mode', {
      fleet: 'sim-hetzner',
      mode: 'notify',
    });
    expect(switched.status, await switched.clone().text()).toBe(200);

    // The new holder crashes too; `reap --confirm` finds a dead pid in the lock and acts.
    await watcher.stop('SIGKILL');
    const before = deletes();
    const run = await reap(path, stuck()[0]!);
    expect(run.stderr).not.toMatch(/read-only/);
    expect(run.code, run.stderr).toBe(0);
    expect(deletes() - before).toBe(1);
  }, 180_000);

  it('a corrupt state file: `reap --confirm` refuses with the message naming it, and nothing is lost', async () => {
    const { path, stateDir } = await config('corrupt');
    await mkdir(stateDir, { recursive: true });
    const file = join(stateDir, 'reaper-state.json');
    const text = '{"version":1,"modes":{"sim-hetzner":"off"},"proposals":{},"inFlight":[],"led';
    await writeFile(file, text);
    const before = deletes();
    const run = await reap(path, stuck()[0]!);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain(`warning: the reaper state file ${file} is unreadable`);
    expect(run.stderr).toMatch(/^refused: /m);
    expect(run.stderr).toMatch(/every action is stopped .*Repair the file, or remove it/);
    expect(deletes()).toBe(before);
    expect(await readFile(file, 'utf8')).toBe(text);
    const copies = (await readdir(stateDir)).filter((f) =>
      f.startsWith('reaper-state.json.corrupt-'),
    );
    expect(copies).toHaveLength(1);
    expect(await readFile(join(stateDir, copies[0]!), 'utf8')).toBe(text);
  }, 120_000);
});
