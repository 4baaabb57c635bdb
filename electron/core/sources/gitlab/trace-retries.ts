import { backoffDelay } from '../../backoff';

/** Bounds of the trace re-reads for jobs whose trace does not name a machine yet. */
export interface TraceRetryOptions {
  /** Wait after the first miss; the source's interval, so the next cycle tries again. */
  baseMs: number;
  /** Never wait longer than this between two reads of one job's trace. */
  maxMs: number;
  /** Jobs remembered at most; the oldest entry goes first. */
  maxEntries?: number;
}

interface Miss {
  status: string;
  misses: number;
  nextAt: number;
}

/**
 * When to read a running job's trace head again after it did not say `via <machine>` yet
 * (image pulls and machine creation come first; a trace may be empty for minutes). Each
 * miss doubles the wait up to a cap; a change of the job's status starts over, since a job
 * that moves on (pending → running → finished) has a new trace to read. This only spaces
 * out requests: the job stays unlinked meanwhile, and an unlinked running job keeps every
 * machine of its runner *unknown* — the back-off never makes a machine look idle.
 */
export class TraceRetries {
  private readonly misses = new Map<number, Miss>();
  private readonly maxEntries: number;

  constructor(private readonly options: TraceRetryOptions) {
    if (!(options.baseMs > 0) || !(options.maxMs >= options.baseMs))
      throw new RangeError(
        `trace retry bounds need 0 < baseMs <= maxMs, got ${options.baseMs} and ${options.maxMs}`,
      );
    this.maxEntries = options.maxEntries ?? 20_000;
  }

  /** Whether the job's trace may be read now: never tried, status changed, or its wait is over. */
  due(jobId: number, status: string, now: number): boolean {
    const miss = this.misses.get(jobId);
    return miss === undefined || miss.status !== status || now >= miss.nextAt;
  }

  /** Whether the job's trace was read before without naming a machine. */
  tried(jobId: number): boolean {
    return this.misses.has(jobId);
  }

  /** The trace did not name a machine: wait longer before the next read. */
  missed(jobId: number, status: string, now: number): void {
    const previous = this.misses.get(jobId);
    const misses = previous && previous.status === status ? previous.misses + 1 : 1;
    const wait = backoffDelay(
      misses,
      { baseMs: this.options.baseMs, maxMs: this.options.maxMs, jitter: 0 },
      () => 0.5,
    );
    // Cycles start a little early or late; a tenth of the base keeps "next cycle" meaning
    // the next cycle rather than the one after.
    const slack = this.options.baseMs / 10;
    this.misses.delete(jobId);
    if (this.misses.size >= this.maxEntries) {
      const oldest = this.misses.keys().next().value;
      if (oldest !== undefined) this.misses.delete(oldest);
    }
    this.misses.set(jobId, { status, misses, nextAt: now + wait - slack });
  }

  /** The job is settled (linked, or known to name no machine): nothing to retry. */
  forget(jobId: number): void {
    this.misses.delete(jobId);
  }

  /** Jobs waiting for another read. */
  get size(): number {
    return this.misses.size;
  }
}
