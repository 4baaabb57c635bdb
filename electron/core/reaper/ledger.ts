import type { LedgerEntry } from './state-store';

const HOUR = 3_600_000;

/**
 * Actions started per fleet, for the hourly budget. The wall clock can jump, so an entry
 * made by this process also carries a monotonic time, and an entry counts while *either*
 * clock says it is less than an hour old: a jump forward cannot refill the budget early,
 * and a jump back keeps entries from the "future" counted. Entries loaded from disk (from
 * before a restart) only have the wall time; one in the future counts.
 */
export class KillLedger {
  private readonly monotonicAt = new WeakMap<LedgerEntry, number>();

  constructor(
    private readonly entries: LedgerEntry[],
    private readonly monotonic: () => number = () => performance.now(),
  ) {}

  /** Records a started action and returns the entry (to be persisted by the caller). */
  record(fleet: string, machineKey: string, now: number): LedgerEntry {
    const entry = { fleet, machineKey, at: now };
    this.entries.push(entry);
    this.monotonicAt.set(entry, this.monotonic());
    return entry;
  }

  private counts(entry: LedgerEntry, now: number, mono: number): boolean {
    if (now - entry.at < HOUR) return true;
    const at = this.monotonicAt.get(entry);
    return at !== undefined && mono - at < HOUR;
  }

  /** Started actions per fleet within the last hour. */
  inLastHour(now: number): Map<string, number> {
    const mono = this.monotonic();
    const out = new Map<string, number>();
    for (const entry of this.entries) {
      if (this.counts(entry, now, mono)) out.set(entry.fleet, (out.get(entry.fleet) ?? 0) + 1);
    }
    return out;
  }

  /** Machines with an action started within the last hour (by either clock). */
  machinesInLastHour(now: number): Set<string> {
    const mono = this.monotonic();
    return new Set(
      this.entries
        .filter((entry) => this.counts(entry, now, mono))
        .map((entry) => entry.machineKey),
    );
  }

  /** Drops entries no clock counts any more, so the state file stays small. */
  prune(now: number): void {
    const mono = this.monotonic();
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const entry = this.entries[i] as LedgerEntry;
      if (!this.counts(entry, now, mono)) this.entries.splice(i, 1);
    }
  }
}
