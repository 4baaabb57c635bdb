import type { JobMetrics, JobMetricsRequest } from '../../../shared/job-metrics';
import type { Machine } from '../../../shared/machine';
import type { PrometheusSettings, Settings } from '../../../shared/settings';
import { RwError } from '../errors/rw-error';
import type { GitLabSource } from '../sources/gitlab/gitlab-source';
import type { SecretLookup } from '../sources/prometheus/http-auth';
import { prometheusClient } from '../sources/prometheus/source';
import { findJob, parseJobRef, type FoundJob } from './job-lookup';
import { machineLabelValues, readRange } from './read-range';
import type { JobMetricsStore } from './store';
import { jobWindow } from './window';
import { toDisposable, type Disposable } from '../lifecycle';

/** What the service needs; tests pass their own clock and fetch. */
export interface JobMetricsServiceOptions {
  settings: Settings;
  gitlab: readonly GitLabSource[];
  /** The fleet model's machines now (name → fleet and addresses). */
  machines: () => readonly Machine[];
  secrets: SecretLookup;
  store: JobMetricsStore;
  now?: () => number;
  fetch?: typeof fetch;
  /** Bound of one request (GitLab lookups and every range query). */
  timeoutMs?: number;
  /** Told when the background sweep could not save a job (the message is free of secrets). */
  onSweepError?: (job: string, error: unknown) => void;
}

/** A job the sweep could not save is tried again after this long. */
const SWEEP_RETRY_MS = 60 * 60_000;

/**
 * A job's machine metrics: finds the job (recent jobs or its URL), its machine (trace
 * `via <machine>`) and phases (trace sections), queries the machine's Prometheus over
 * the job's window, and saves a finished job's metrics in the store, which answers from
 * then on — also after Prometheus has dropped them.
 */
export class JobMetricsService {
  private readonly now: () => number;
  /** Jobs the sweep tried and could not save, with when: retried after RETRY_MS. */
  private readonly failed = new Map<string, number>();

  constructor(private readonly options: JobMetricsServiceOptions) {
    this.now = options.now ?? Date.now;
  }

  async get(request: JobMetricsRequest, signal?: AbortSignal): Promise<JobMetrics> {
    const { settings, store } = this.options;
    const ref = parseJobRef(request, settings.gitlab);
    const stored = ref.instance
      ? await store.get(ref.instance, ref.jobId)
      : ((await store.findById(ref.jobId))[0] ?? null);
    if (stored) return { ...stored, origin: 'store' };
    if (settings.prometheus.length === 0) {
      throw new RwError(
        'not_found',
        `job ${ref.jobId}: no metrics saved, and no Prometheus is configured to read them from`,
      );
    }
    const limit = AbortSignal.timeout(this.options.timeoutMs ?? 30_000);
    const both = signal ? AbortSignal.any([signal, limit]) : limit;
    const found = await findJob(ref, this.options.gitlab, both);
    const metrics = await this.query(found, both);
    if (metrics.savedAt !== null) await store.save(metrics);
    return metrics;
  }

  /**
   * Saves the metrics of recently finished jobs nobody asked for yet, so they are kept
   * beyond Prometheus' retention: at most `max` jobs per call, each finished for longer
   * than the margin and linked to a machine. A job that cannot be saved (no series, no
   * Prometheus for its fleet) is tried again after an hour, not on every sweep.
   */
  async saveFinished(signal: AbortSignal, max = 5): Promise<number> {
    if (this.options.settings.prometheus.length === 0) return 0;
    const now = this.now();
    const margin = this.options.settings.jobMetrics.marginSec * 1000;
    let saved = 0;
    for (const source of this.options.gitlab) {
      for (const job of source.timeline()) {
        if (saved >= max) return saved;
        signal.throwIfAborted();
        if (job.finishedAt === null || job.startedAt === null || job.machine === null) continue;
        if (now < job.finishedAt + margin) continue;
        const key = `${job.instance}/${job.jobId}`;
        const failedAt = this.failed.get(key);
        if (failedAt !== undefined && now - failedAt < SWEEP_RETRY_MS) continue;
        if (await this.options.store.get(job.instance, job.jobId)) continue;
        try {
          const ref = { instance: job.instance, jobId: job.jobId, projectPath: null };
          const metrics = await this.query(await findJob(ref, [source], signal), signal);
          if (metrics.savedAt === null) continue;
          await this.options.store.save(metrics);
          this.failed.delete(key);
          saved += 1;
        } catch (error) {
          signal.throwIfAborted();
          if (this.failed.size > 10_000) this.failed.clear();
          this.failed.set(key, now);
          this.options.onSweepError?.(key, error);
        }
      }
    }
    return saved;
  }

  /** Runs `saveFinished` every `everyMs` until disposed. */
  startSweeping(everyMs = 60_000): Disposable {
    const abort = new AbortController();
    let running: Promise<unknown> | null = null;
    const timer = setInterval(() => {
      if (running) return;
      running = this.saveFinished(abort.signal)
        .catch(() => undefined)
        .finally(() => {
          running = null;
        });
    }, everyMs);
    timer.unref?.();
    return toDisposable(async () => {
      clearInterval(timer);
      abort.abort(new Error('stopped'));
      await running;
    });
  }

  private async query(found: FoundJob, signal: AbortSignal): Promise<JobMetrics> {
    const { job, machine, phases } = found;
    if (job.startedAt === null)
      throw new RwError('refused', `job ${job.jobId} has not started: it has no metrics yet`);
    const known = this.options.machines().find((m) => m.name === machine);
    const candidates = this.prometheusFor(known);
    if (candidates.length === 0) {
      throw new RwError(
        'not_found',
        `job ${job.jobId} ran on ${machine} (fleet ${known?.fleet ?? '?'}), and no Prometheus is configured for that fleet`,
      );
    }
    const now = this.now();
    const problems: string[] = [];
    for (const prom of candidates) {
      const client = prometheusClient(prom, this.options.secrets, this.options.fetch);
      const fleet = this.options.settings.fleets.find((f) => f.id === prom.fleet);
      const window = jobWindow({
        startedAt: job.startedAt,
        finishedAt: job.finishedAt,
        now,
        marginSec: this.options.settings.jobMetrics.marginSec,
        maxPoints: this.options.settings.jobMetrics.maxPoints,
        minStepSec: prom.scrapeIntervalSec,
      });
      const values = await machineLabelValues(
        client,
        prom,
        { name: machine, addresses: known?.addresses ?? [] },
        window,
        signal,
      );
      const reading = await readRange(
        client,
        prom,
        values,
        fleet?.watchedMounts ?? ['/'],
        window,
        signal,
      );
      if (reading.series.length === 0) {
        problems.push(`Prometheus ${prom.id} has no series of ${machine} in that window`);
        continue;
      }
      // Saved only when the window is complete: the job ended and its margin passed.
      const margin = this.options.settings.jobMetrics.marginSec * 1000;
      const complete = job.finishedAt !== null && now >= job.finishedAt + margin;
      return {
        job: {
          instance: job.instance,
          jobId: job.jobId,
          name: job.name,
          projectPath: job.projectPath,
          jobUrl: job.jobUrl,
          status: job.status,
          startedAt: job.startedAt,
          finishedAt: job.finishedAt,
          machine,
        },
        fleet: prom.fleet,
        prometheus: prom.id,
        window: { startedAt: window.startMs, endedAt: window.endMs, stepSec: window.stepSec },
        timestamps: reading.timestamps,
        series: reading.series,
        phases,
        origin: 'prometheus',
        savedAt: complete ? now : null,
        warnings: reading.warnings,
      };
    }
    throw new RwError(
      'not_found',
      `job ${job.jobId} on ${machine}: ${problems.join('; ')} (beyond retention, or never scraped)`,
    );
  }

  /** The Prometheus of the machine's fleet; every one when the fleet model forgot it. */
  private prometheusFor(machine: Machine | undefined): PrometheusSettings[] {
    const all = this.options.settings.prometheus;
    if (!machine) return [...all];
    return all.filter((p) => p.fleet === machine.fleet);
  }
}
