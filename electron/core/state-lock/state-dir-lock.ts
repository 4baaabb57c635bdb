import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { syncDir } from '../audit/audit-log';
import { RwError } from '../errors/rw-error';
import { toDisposable, type Disposable } from '../lifecycle';
import { systemProcessProbe, type ProcessProbe } from './process-identity';

// Why one actor per state directory, and not a shared ledger under a file lock: the state
// file holds more than the hourly budget — actions in flight (a crash is recovered from
// them), remembered proposal outcomes and run-time mode switches. A shared ledger would
// have every process re-read, merge and re-write all of that around every decision, and
// two auto-mode reapers would still race to the same machine between their re-checks.
// With one holder, the state in memory is the truth, the file is its durable copy, and
// every other process (a second desktop app, `serve`, `reap --confirm`) watches read-only
// and says so. Node has no flock(), so the lock is a file created with link(2) — atomic
// and exclusive on local filesystems and on NFS — naming its holder.
//
// Limits (docs/cli.md, "One process acts on a state directory"): a holder on this host is
// checked by pid, start time and boot id (Linux `/proc`; elsewhere by pid only, so a dead
// holder whose pid was reused keeps the lock until a person removes it). A holder on
// another host (a state directory in an NFS home used from two machines) cannot be checked
// from here and is never taken over automatically.

/** Who holds the lock, as written into the lock file. */
export const LockOwner = z.object({
  pid: z.number().int().positive(),
  host: z.string(),
  user: z.string(),
  bootId: z.string().nullable(),
  /** Start time of the process (clock ticks since boot, Linux), against pid reuse. */
  startTime: z.string().nullable(),
  /** What the process is: `serve`, `desktop app`, `reap --confirm`. */
  command: z.string(),
  since: z.number(),
  /** Random per acquisition: tells this holder apart from a later one with the same pid. */
  token: z.string().min(8),
});
/** Who holds the lock. */
export type LockOwner = z.infer<typeof LockOwner>;

/** Where the lock file lives inside the state directory. */
export const LOCK_FILE = 'runner-watch.lock';

/** Whether a lock's holder is gone (and why), judged from what this host can see. */
export type HolderVerdict = { gone: true; why: string } | { gone: false; why: string };

/**
 * Decides whether a holder is gone. `seen` is what this host knows about the holder's pid,
 * null when the holder runs on another host. Pure; the cases are unit-tested.
 */
export function judgeHolder(
  owner: LockOwner,
  here: { host: string; bootId: string | null },
  seen: { alive: boolean; startTime: string | null } | null,
): HolderVerdict {
  if (owner.host !== here.host || seen === null)
    return { gone: false, why: `it runs on another host (${owner.host}) and cannot be checked` };
  if (owner.bootId !== null && here.bootId !== null && owner.bootId !== here.bootId)
    return { gone: true, why: 'it was taken before this machine rebooted' };
  if (!seen.alive) return { gone: true, why: `process ${owner.pid} is no longer running` };
  if (owner.startTime !== null && seen.startTime !== null && owner.startTime !== seen.startTime)
    return {
      gone: true,
      why: `process ${owner.pid} is no longer running (the pid now belongs to another process)`,
    };
  return { gone: false, why: `process ${owner.pid} is running` };
}

/** What the reaper and runner pruning ask before they act. */
export interface ActionGate {
  /** Null while this process may act; otherwise why it only watches. */
  readOnlyReason(): string | null;
  /**
   * Reads the lock file again and throws `RwError('read_only')` unless it still names this
   * process: the last check right before a side effect.
   */
  assertHeld(): Promise<void>;
  /** Called when this process starts or stops being the one that acts. */
  onChange(listener: (held: boolean) => void): Disposable;
}

/** Options of `StateDirLock.open`. */
export interface StateDirLockOptions {
  dir: string;
  /** What this process is, shown to the processes that find the lock held. */
  command: string;
  /** How often a watching process tries to take over, and the holder checks it still holds. */
  pollMs?: number;
  probe?: ProcessProbe;
  now?: () => number;
}

type Reading =
  | { kind: 'missing' }
  | { kind: 'unreadable'; reason: string }
  | {
      kind: 'owner';
      owner: LockOwner;
      text: string;
    };

/**
 * The lock on a state directory: the one process that holds it acts (kills, cleanups,
 * runner prunes, mode switches) and keeps the reaper state; every other one starts
 * read-only, says why, and takes over when the holder exits or is found dead.
 */
export class StateDirLock implements ActionGate, Disposable {
  readonly file: string;
  private readonly breakFile: string;
  private readonly listeners = new Set<(held: boolean) => void>();
  private readonly now: () => number;
  private readonly probe: ProcessProbe;
  private mine!: LockOwner;
  private held = false;
  private reason: string | null = 'the state directory lock was not checked yet';
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();
  private disposed = false;

  private constructor(private readonly options: StateDirLockOptions) {
    this.file = path.join(options.dir, LOCK_FILE);
    this.breakFile = `${this.file}.break`;
    this.now = options.now ?? Date.now;
    this.probe = options.probe ?? systemProcessProbe;
  }

  /** Tries to take the lock; when it is held, starts watching for the holder to go. */
  static async open(options: StateDirLockOptions): Promise<StateDirLock> {
    const lock = new StateDirLock(options);
    const self = await lock.probe.self();
    lock.mine = {
      pid: self.pid,
      host: self.host,
      user: userName(),
      bootId: self.bootId,
      startTime: self.startTime,
      command: options.command,
      since: lock.now(),
      token: randomBytes(12).toString('hex'),
    };
    await fs.mkdir(options.dir, { recursive: true, mode: 0o700 });
    await lock.check();
    lock.timer = setInterval(() => void lock.check(), options.pollMs ?? 5_000);
    lock.timer.unref?.();
    return lock;
  }

  /** True while this process is the one that acts. */
  get isHeld(): boolean {
    return this.held;
  }

  readOnlyReason(): string | null {
    return this.held ? null : this.reason;
  }

  async assertHeld(): Promise<void> {
    await this.check();
    if (!this.held) throw new RwError('read_only', this.reason ?? 'this process only watches');
  }

  onChange(listener: (held: boolean) => void): Disposable {
    this.listeners.add(listener);
    return toDisposable(() => {
      this.listeners.delete(listener);
    });
  }

  /** One round: take a free or abandoned lock, or confirm the one held is still ours. */
  check(): Promise<void> {
    const next = this.chain.then(() => (this.disposed ? undefined : this.round()));
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Stops watching and releases the lock if this process holds it. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.chain;
    this.disposed = true;
    this.listeners.clear();
    if (!this.held) return;
    this.held = false;
    const reading = await this.read(this.file);
    if (reading.kind === 'owner' && reading.owner.token === this.mine.token)
      await fs.rm(this.file, { force: true });
  }

  private async round(): Promise<void> {
    const before = this.held;
    try {
      await this.attempt();
    } catch (error) {
      this.held = false;
      this.reason = `cannot use the state directory lock ${this.file}: ${messageOf(error)}`;
    }
    if (this.held !== before) for (const listener of [...this.listeners]) listener(this.held);
  }

  private async attempt(): Promise<void> {
    // Twice: a lock released (or broken) between our failed link and our read is free now.
    for (let tries = 0; tries < 2; tries++) {
      const reading = await this.read(this.file);
      if (reading.kind === 'owner' && reading.owner.token === this.mine.token) {
        this.held = true;
        this.reason = null;
        return;
      }
      if (this.held) {
        // Ours no more: a person removed the file (retake it below) or broke it by mistake.
        this.held = false;
      }
      if (reading.kind === 'missing') {
        if (await this.create(this.file, this.mine)) {
          this.held = true;
          this.reason = null;
          return;
        }
        continue;
      }
      if (reading.kind === 'unreadable') {
        this.reason = `the state directory lock ${this.file} is unreadable (${reading.reason}); this process only watches. If no other Runner Watch process uses ${this.options.dir}, remove the file`;
        return;
      }
      const { owner } = reading;
      const verdict = judgeHolder(
        owner,
        { host: this.mine.host, bootId: this.mine.bootId },
        owner.host === this.mine.host ? await this.probe.inspect(owner.pid) : null,
      );
      if (!verdict.gone) {
        this.reason = describeHolder(owner, this.options.dir, this.file, verdict.why);
        return;
      }
      if (!(await this.breakAbandoned(reading.text))) {
        this.reason = `${describeHolder(owner, this.options.dir, this.file, verdict.why)}; taking it over`;
        return;
      }
    }
  }

  /**
   * Removes an abandoned lock under a second, short-lived lock, so two watchers that both
   * found it abandoned do not each remove it — one of them removing the other's new lock.
   * Under the guard the lock is read again and removed only if it is still the abandoned one.
   */
  private async breakAbandoned(abandonedText: string): Promise<boolean> {
    if (!(await this.create(this.breakFile, this.mine))) {
      const guard = await this.read(this.breakFile);
      if (guard.kind === 'owner' && guard.owner.host === this.mine.host) {
        const seen = await this.probe.inspect(guard.owner.pid);
        const verdict = judgeHolder(
          guard.owner,
          { host: this.mine.host, bootId: this.mine.bootId },
          seen,
        );
        // A watcher that died while taking over; the next round tries again.
        if (verdict.gone) await fs.rm(this.breakFile, { force: true });
      }
      return false;
    }
    try {
      const again = await this.read(this.file);
      if (again.kind === 'owner' && again.text === abandonedText)
        await fs.rm(this.file, { force: true });
      return true;
    } finally {
      await fs.rm(this.breakFile, { force: true });
    }
  }

  /** Creates `file` holding `owner`, atomically and only if it does not exist (link(2)). */
  private async create(file: string, owner: LockOwner): Promise<boolean> {
    const temp = `${file}.${owner.token}.${randomBytes(4).toString('hex')}.tmp`;
    const handle = await fs.open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(owner)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await fs.link(temp, file);
      await syncDir(this.options.dir);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      await fs.rm(temp, { force: true });
    }
  }

  private async read(file: string): Promise<Reading> {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
      throw error;
    }
    try {
      const parsed = LockOwner.safeParse(JSON.parse(text));
      if (parsed.success) return { kind: 'owner', owner: parsed.data, text };
      return { kind: 'unreadable', reason: parsed.error.issues[0]?.message ?? 'invalid' };
    } catch (error) {
      return { kind: 'unreadable', reason: messageOf(error) };
    }
  }
}

/** The read-only reason a watching process shows (AppInfo warnings, CLI, API errors). */
export function describeHolder(owner: LockOwner, dir: string, file: string, why: string): string {
  const since = new Date(owner.since).toISOString().replace(/\.\d+Z$/, 'Z');
  const who = `pid ${owner.pid} (${owner.command}, ${owner.user}@${owner.host}) since ${since}`;
  if (why.startsWith('it runs on another host'))
    return `read-only: another Runner Watch process acts on ${dir}: ${who}. A lock from another host is never taken over automatically; if that process is gone, remove ${file}`;
  if (why.includes('no longer running') || why.includes('rebooted'))
    return `read-only: the state directory lock ${file} was left by ${who}; ${why}`;
  return `read-only: another Runner Watch process acts on ${dir}: ${who}. This one only watches (no kills, cleanups, prunes or mode switches) and takes over when that process exits`;
}

function userName(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
