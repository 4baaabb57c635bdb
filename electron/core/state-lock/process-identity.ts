import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';

/**
 * What tells one process apart from a later one with the same pid. On Linux that is the
 * boot id plus the process start time in clock ticks since boot (`/proc/PID/stat` field
 * 22): a pid reused after a crash, or after a reboot, has another start time or boot id.
 * Elsewhere both are null and only "is a process with this pid alive" can be asked — a
 * reused pid then keeps a dead holder's lock looking held (the safe direction: nobody
 * acts until a person removes the lock), never the other way round.
 */
export interface ProcessIdentity {
  pid: number;
  host: string;
  bootId: string | null;
  startTime: string | null;
}

/** What the lock asks about another process; tests replace it. */
export interface ProcessProbe {
  /** This process. */
  self(): Promise<ProcessIdentity>;
  /** The boot id of this machine (null where unknown). */
  bootId(): Promise<string | null>;
  /** Whether a process with this pid runs on this host, and its start time when readable. */
  inspect(pid: number): Promise<{ alive: boolean; startTime: string | null }>;
}

/** Field 22 of `/proc/PID/stat`; the command name (field 2) may hold spaces and parentheses. */
export function startTimeOfStat(stat: string): string | null {
  const close = stat.lastIndexOf(')');
  if (close < 0) return null;
  // Fields after the name start at field 3 (state); starttime is field 22.
  const fields = stat
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const value = fields[22 - 3];
  return value !== undefined && /^\d+$/.test(value) ? value : null;
}

async function readStartTime(pid: number): Promise<string | null> {
  try {
    return startTimeOfStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The probe of the running system (`/proc` where there is one). */
export const systemProcessProbe: ProcessProbe = {
  async self() {
    return {
      pid: process.pid,
      host: hostname(),
      bootId: await this.bootId(),
      startTime: await readStartTime(process.pid),
    };
  },
  async bootId() {
    try {
      return (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim() || null;
    } catch {
      return null;
    }
  },
  async inspect(pid) {
    if (!pidAlive(pid)) return { alive: false, startTime: null };
    return { alive: true, startTime: await readStartTime(pid) };
  },
};
