import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ActionContext } from '../../../electron/core/reaper/actions/action';
import { CleanupAction } from '../../../electron/core/reaper/actions/cleanup';
import { MachineRmAction } from '../../../electron/core/reaper/actions/machine-rm';
import { LocalShellExec } from '../../../electron/core/reaper/remote-exec';
import type { InFlightAction } from '../../../electron/core/reaper/state-store';
import {
  readCalls,
  readHostState,
  SHIMS_DIR,
  writeHostState,
  type HostState,
} from '../../sim/host-state';
import { machine } from '../../unit/reaper/fixtures';

// The actions run through a real /bin/sh with the simulator's docker and docker-machine
// shims first on PATH: the same quoted command line an SSH session would get.
let dir: string;
let exec: LocalShellExec;
const NOW = 1_790_000_000;
const hex = (n: number) => n.toString(16).padStart(64, '0');
const vol = (suffix: string) => `runner-x1y2z3w4-project-7-concurrent-0-cache-${suffix}`;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rw-reaper-host-'));
  exec = new LocalShellExec({ PATH: `${SHIMS_DIR}:/usr/bin:/bin`, RW_SIM_STATE: dir });
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function host(extra: Partial<HostState> = {}): void {
  writeHostState(dir, {
    hostname: 'build-01',
    now: NOW,
    mounts: [
      {
        device: '/dev/sda1',
        fstype: 'ext4',
        mount: '/',
        sizeKiB: 100_000_000,
        usedKiB: 90_000_000,
        availKiB: 10_000_000,
        inodes: null,
      },
    ],
    containers: [
      {
        id: hex(1),
        name: 'runner-job-1',
        image: 'node:22',
        created: NOW - 60,
        state: 'running',
        volumes: [vol('in-use')],
      },
      {
        id: hex(2),
        name: 'runner-job-0',
        image: 'node:22',
        created: NOW - 7200,
        state: 'exited',
        volumes: [vol('stopped-user')],
      },
    ],
    volumes: [
      { name: vol('in-use'), sizeBytes: 1_000 },
      { name: vol('stopped-user'), sizeBytes: 1_000 },
      { name: vol('unused-a'), sizeBytes: 5_000_000 },
      { name: vol('unused-b'), sizeBytes: 5_000_000 },
      { name: 'postgres-data', sizeBytes: 9_000_000 },
      { name: 'my-runner-notes', sizeBytes: 1_000 },
    ],
    images: [
      {
        id: `sha256:${hex(10)}`,
        repository: 'node',
        tag: '18',
        created: NOW - 30 * 86_400,
        sizeBytes: 900_000_000,
      },
      {
        id: `sha256:${hex(11)}`,
        repository: 'node',
        tag: '22',
        created: NOW - 3600,
        sizeBytes: 900_000_000,
      },
    ],
    ...extra,
  });
}

function context(name: string, fleet = 'hosts'): ActionContext {
  const inFlight: InFlightAction = {
    proposalId: 'p-1',
    machineKey: `${fleet}/${name}`,
    machineName: name,
    fleet,
    rule: 'disk',
    action: 'cleanup',
    providerId: null,
    providerSource: null,
    startedAt: 0,
    who: 'test',
    hcloudActionId: null,
    step: 'starting',
  };
  return {
    machine: machine(
      { name, fleet, kind: 'dedicated', provider: 'ssh', providerId: null },
      Date.now(),
    ),
    inFlight,
    signal: new AbortController().signal,
    stepTimeoutMs: 10_000,
    progress: async (patch) => void Object.assign(inFlight, patch),
  };
}

describe('dedicated-host cleanup', () => {
  it('removes only unused runner volumes, keeps volumes any container uses, prunes old images', async () => {
    host();
    const detail = await new CleanupAction({ exec, pruneHoursFor: () => 72 }).run(
      context('build-01'),
    );
    const after = readHostState(dir);
    expect(after.volumes.map((v) => v.name).sort()).toEqual(
      [vol('in-use'), vol('stopped-user'), 'postgres-data', 'my-runner-notes'].sort(),
    );
    expect(detail).toMatch(/removed 2 unused runner volumes/);
    expect(detail).toMatch(/kept 2 in use/);
    const calls = readCalls(dir).calls.map((c) => [c.tool, ...c.args].join(' '));
    expect(calls).toContain(`docker ps -a -q --filter volume=${vol('in-use')}`);
    expect(calls.filter((c) => c.startsWith('docker volume rm'))).toEqual([
      `docker volume rm ${vol('unused-a')}`,
      `docker volume rm ${vol('unused-b')}`,
    ]);
    expect(calls).toContain('docker image prune -a -f --filter until=72h');
    expect(after.images.map((i) => i.tag)).toEqual(['22']);
  });

  it('with the Docker daemon down: fails with the daemon message and removes nothing', async () => {
    host({ dockerDown: true });
    await expect(
      new CleanupAction({ exec, pruneHoursFor: () => 72 }).run(context('build-01')),
    ).rejects.toThrow(/Cannot connect to the Docker daemon/);
    expect(readHostState(dir).volumes).toHaveLength(6);
  });

  it('recovery never repeats a cleanup', async () => {
    host();
    const outcome = await new CleanupAction({ exec, pruneHoursFor: () => 72 }).recover(
      context('build-01').inFlight,
    );
    expect(outcome.completed).toBe(false);
    expect(readCalls(dir).calls).toEqual([]);
  });
});

describe('docker-machine rm on the runner manager', () => {
  const odd = `runner-odd $(touch ${'${RW_SIM_STATE}'}/pwned); echo 'x'`;

  it('removes the machine, and a name full of shell syntax stays one literal argument', async () => {
    host({
      machines: [
        { name: 'runner-x1y2z3w4-auto-scale-1-aa', state: 'Running' },
        { name: odd, state: 'Running' },
      ],
    });
    const action = new MachineRmAction(exec, () => 'manager-1');
    await expect(action.run(context('runner-x1y2z3w4-auto-scale-1-aa', 'ci'))).resolves.toMatch(
      /removed by manager-1/,
    );
    await expect(action.run(context(odd, 'ci'))).resolves.toMatch(/removed/);
    expect(readHostState(dir).machines).toEqual([]);
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
    const rm = readCalls(dir).calls.filter((c) => c.args[0] === 'rm');
    expect(rm.map((c) => c.args)).toEqual([
      ['rm', '-y', 'runner-x1y2z3w4-auto-scale-1-aa'],
      ['rm', '-y', odd],
    ]);
  });

  it('a machine that is already gone counts as removed (idempotent)', async () => {
    host({ machines: [] });
    await expect(
      new MachineRmAction(exec, () => 'manager-1').run(context('runner-gone', 'ci')),
    ).resolves.toMatch(/already gone/);
  });

  it('refuses a name that would read as an option', async () => {
    host({ machines: [] });
    await expect(
      new MachineRmAction(exec, () => 'manager-1').run(context('-rf', 'ci')),
    ).rejects.toThrow(/starts with "-"/);
    expect(readCalls(dir).calls).toEqual([]);
  });

  it('refuses when no manager is known for the machine', async () => {
    host({ machines: [] });
    await expect(
      new MachineRmAction(exec, () => null).run(context('runner-a', 'ci')),
    ).rejects.toThrow(/no runner manager known/);
  });

  it('recovery: gone → completed; still listed → reported, not repeated', async () => {
    host({ machines: [{ name: 'runner-still', state: 'Running' }] });
    const action = new MachineRmAction(exec, () => 'manager-1');
    const signal = new AbortController().signal;
    await expect(
      action.recover(
        { ...context('runner-gone', 'ci').inFlight, action: 'machine-rm' },
        signal,
        10_000,
      ),
    ).resolves.toMatchObject({
      completed: true,
    });
    const still = await action.recover(
      { ...context('runner-still', 'ci').inFlight, action: 'machine-rm' },
      signal,
      10_000,
    );
    expect(still.completed).toBe(false);
    expect(readCalls(dir).calls.filter((c) => c.args[0] === 'rm')).toEqual([]);
  });
});
