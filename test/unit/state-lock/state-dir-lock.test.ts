import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  startTimeOfStat,
  systemProcessProbe,
  type ProcessProbe,
} from '../../../electron/core/state-lock/process-identity';
import {
  judgeHolder,
  LOCK_FILE,
  StateDirLock,
  type LockOwner,
} from '../../../electron/core/state-lock/state-dir-lock';

// The lock on a state directory, in one test process: several StateDirLock instances
// stand for several processes, each with its own (scripted) view of which pids live.
let dir: string;
const open: StateDirLock[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rw-lock-'));
});
afterEach(async () => {
  for (const lock of open.splice(0)) await lock.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** A process as a lock sees it: its own identity and which other pids are alive. */
function processProbe(
  pid: number,
  alive: Map<number, string | null>,
  host = 'ws1',
  bootId: string | null = 'boot-a',
): ProcessProbe {
  return {
    self: async () => ({ pid, host, bootId, startTime: alive.get(pid) ?? null }),
    bootId: async () => bootId,
    inspect: async (other) =>
      alive.has(other)
        ? { alive: true, startTime: alive.get(other) ?? null }
        : { alive: false, startTime: null },
  };
}

async function openLock(probe: ProcessProbe, command: string): Promise<StateDirLock> {
  const lock = await StateDirLock.open({ dir, command, probe, pollMs: 60_000 });
  open.push(lock);
  return lock;
}

const owner = (patch: Partial<LockOwner> = {}): LockOwner => ({
  pid: 100,
  host: 'ws1',
  user: 'alice',
  bootId: 'boot-a',
  startTime: '555',
  command: 'serve',
  since: 0,
  token: 'token-0123456789',
  ...patch,
});

describe('judgeHolder', () => {
  const here = { host: 'ws1', bootId: 'boot-a' };
  it.each([
    ['alive, same start time', owner(), { alive: true, startTime: '555' }, false, /is running/],
    ['dead pid', owner(), { alive: false, startTime: null }, true, /no longer running/],
    [
      'pid reused by another process',
      owner(),
      { alive: true, startTime: '999' },
      true,
      /pid now belongs to another process/,
    ],
    [
      'before a reboot',
      owner({ bootId: 'boot-0' }),
      { alive: true, startTime: '555' },
      true,
      /rebooted/,
    ],
    [
      'no start time known (not Linux): alive pid counts as the holder',
      owner({ startTime: null }),
      { alive: true, startTime: null },
      false,
      /is running/,
    ],
    ['another host (NFS home)', owner({ host: 'ws2' }), null, false, /another host \(ws2\)/],
    [
      'another host even if a local pid of that number is dead',
      owner({ host: 'ws2' }),
      { alive: false, startTime: null },
      false,
      /another host/,
    ],
  ] as const)('%s', (_, holder, seen, gone, why) => {
    const verdict = judgeHolder(holder, here, seen);
    expect(verdict.gone).toBe(gone);
    expect(verdict.why).toMatch(why);
  });
});

describe('startTimeOfStat', () => {
  it('reads field 22, also when the command name holds spaces and parentheses', () => {
    const rest = Array.from({ length: 50 }, (_, i) => String(i + 3));
    expect(startTimeOfStat(`42 (node) ${rest.join(' ')}`)).toBe('22');
    expect(startTimeOfStat(`42 (a (b) c) ${rest.join(' ')}`)).toBe('22');
    expect(startTimeOfStat('42 (node) S 1')).toBeNull();
    expect(startTimeOfStat('garbage')).toBeNull();
  });

  it('this process has a start time on Linux, and a live pid is seen alive', async () => {
    const self = await systemProcessProbe.self();
    expect(self.pid).toBe(process.pid);
    expect(self.host).toBe(hostname());
    if (process.platform === 'linux') expect(self.startTime).toMatch(/^\d+$/);
    expect(await systemProcessProbe.inspect(process.pid)).toMatchObject({ alive: true });
  });
});

describe('StateDirLock', () => {
  it('one holder; the second process is read-only, names the holder, and takes over after release', async () => {
    const alive = new Map<number, string | null>([
      [100, '1'],
      [200, '2'],
    ]);
    const first = await openLock(processProbe(100, alive), 'serve');
    const second = await openLock(processProbe(200, alive), 'reap --confirm');
    expect(first.isHeld).toBe(true);
    expect(first.readOnlyReason()).toBeNull();
    expect(second.isHeld).toBe(false);
    expect(second.readOnlyReason()).toMatch(
      /^read-only: another Runner Watch process acts on .*: pid 100 \(serve, .*@ws1\) since .*takes over when that process exits$/,
    );
    await expect(second.assertHeld()).rejects.toMatchObject({ code: 'read_only' });
    const changes: boolean[] = [];
    second.onChange((held) => changes.push(held));
    await first.dispose();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    await second.check();
    expect(second.isHeld).toBe(true);
    expect(changes).toEqual([true]);
    await second.assertHeld();
  });

  it('takes over the lock of a crashed holder (dead pid)', async () => {
    const alive = new Map<number, string | null>([
      [100, '1'],
      [200, '2'],
    ]);
    const crashed = await StateDirLock.open({
      dir,
      command: 'serve',
      probe: processProbe(100, alive),
      pollMs: 60_000,
    });
    expect(crashed.isHeld).toBe(true);
    // The holder dies without releasing (SIGKILL): its file stays.
    alive.delete(100);
    const next = await openLock(processProbe(200, alive), 'desktop app');
    expect(next.isHeld).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({
      pid: 200,
      command: 'desktop app',
    });
    // The crashed one, had it only been frozen, finds out before it acts.
    await expect(crashed.assertHeld()).rejects.toMatchObject({ code: 'read_only' });
  });

  it('takes over when the holder pid was reused by another process (start time differs)', async () => {
    const alive = new Map<number, string | null>([[100, '1']]);
    await StateDirLock.open({
      dir,
      command: 'serve',
      probe: processProbe(100, alive),
      pollMs: 60_000,
    });
    alive.set(100, '77'); // pid 100 died and was given to an unrelated process
    alive.set(200, '2');
    const next = await openLock(processProbe(200, alive), 'serve');
    expect(next.isHeld).toBe(true);
  });

  it('never takes over a lock held on another host; says how to remove it', async () => {
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify(owner({ host: 'ws2', pid: 4242 })));
    const lock = await openLock(processProbe(200, new Map([[200, '2']])), 'serve');
    expect(lock.isHeld).toBe(false);
    expect(lock.readOnlyReason()).toMatch(/pid 4242 \(serve, alice@ws2\)/);
    expect(lock.readOnlyReason()).toMatch(
      /never taken over automatically; if that process is gone, remove .*runner-watch\.lock/,
    );
    await lock.check();
    expect(lock.isHeld).toBe(false);
  });

  it('an unreadable lock file keeps every process read-only and is left as it is', async () => {
    writeFileSync(join(dir, LOCK_FILE), 'not a lock');
    const lock = await openLock(processProbe(200, new Map([[200, '2']])), 'serve');
    expect(lock.isHeld).toBe(false);
    expect(lock.readOnlyReason()).toMatch(/runner-watch\.lock is unreadable .*remove the file/);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe('not a lock');
  });

  it('two watchers racing for an abandoned lock: exactly one gets it', async () => {
    const alive = new Map<number, string | null>([[100, '1']]);
    await StateDirLock.open({
      dir,
      command: 'serve',
      probe: processProbe(100, alive),
      pollMs: 60_000,
    });
    alive.delete(100);
    for (let round = 0; round < 5; round++) {
      const pids = [300 + round * 10, 301 + round * 10, 302 + round * 10];
      for (const pid of pids) alive.set(pid, String(pid));
      const locks = await Promise.all(pids.map((pid) => openLock(processProbe(pid, alive), 'x')));
      expect(locks.filter((l) => l.isHeld)).toHaveLength(1);
      const holder = locks.find((l) => l.isHeld);
      // The holder crashes; the next round races again.
      for (const pid of pids) alive.delete(pid);
      open.splice(open.indexOf(holder as StateDirLock), 1);
    }
  });

  it('a holder whose file was removed by hand takes it again; a replaced file means it lost', async () => {
    const alive = new Map<number, string | null>([[100, '1']]);
    const lock = await openLock(processProbe(100, alive), 'serve');
    rmSync(join(dir, LOCK_FILE));
    await lock.assertHeld();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify(owner({ pid: 100, startTime: '1' })));
    await expect(lock.assertHeld()).rejects.toMatchObject({ code: 'read_only' });
    expect(lock.isHeld).toBe(false);
    // Disposing a lock it lost leaves the other holder's file alone.
    await lock.dispose();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
  });
});
