import type { AuditListRequest, AuditRecord } from '../../../shared/audit';
import type { FleetEvent, FleetSnapshot } from '../../../shared/fleet';
import type { RunnerJob } from '../../../shared/runner';
import type { FleetSettings, GitLabSettings } from '../../../shared/settings';
import type {
  JobMetricsAvailability,
  OpenJobResult,
  Timeline,
  TimelineRequest,
} from '../../../shared/timeline';
import { RwError } from '../errors/rw-error';
import { DisposableStore, type Disposable } from '../lifecycle';
import { buildTimeline } from './build-timeline';
import { DiskTrail } from './disk-trail';
import { checkedJobUrl } from './job-url';

/** One GitLab instance's recent jobs (`GitLabSource` provides it). */
export interface TimelineJobSource {
  readonly instance: string;
  timeline(): RunnerJob[];
}

/** The part of the engine the timeline reads. */
export interface TimelineEngine {
  onEvent(listener: (event: FleetEvent) => void): Disposable;
  snapshot(): FleetSnapshot;
}

/** What the timeline service needs; hosts pass what they have. */
export interface TimelineServiceOptions {
  engine: TimelineEngine;
  fleets: readonly FleetSettings[];
  gitlab: readonly GitLabSettings[];
  sources: readonly TimelineJobSource[];
  /** Audit records of a window (the reaper's log); without it no kill marks are drawn. */
  audit?: (request: AuditListRequest) => Promise<AuditRecord[]>;
  /**
   * Opens a checked URL in the user's browser (the desktop app's `shell.openExternal`);
   * without it the URL is handed back for the renderer to open.
   */
  openExternal?: (url: string) => Promise<void>;
  /**
   * Whether a fleet's job metrics can be read (the Prometheus source decides); without it
   * no fleet has them.
   */
  jobMetrics?: (fleet: FleetSettings) => JobMetricsAvailability;
  now?: () => number;
}

/** Audit records read per timeline request at most (newest first). */
const AUDIT_LIMIT = 10_000;

const NO_PROMETHEUS: JobMetricsAvailability = {
  available: false,
  reason: 'No Prometheus configured for this fleet',
};

/**
 * The fleet timeline: follows the engine to keep a day of disk use per machine, and builds
 * a window's rows from the GitLab sources' recent jobs, the audit log and the current
 * proposals on request. Opens jobs in GitLab only at URLs checked against the instance.
 */
export class TimelineService implements Disposable {
  private readonly trail: DiskTrail;
  private readonly disposables = new DisposableStore();
  private readonly now: () => number;

  constructor(private readonly options: TimelineServiceOptions) {
    this.now = options.now ?? Date.now;
    this.trail = new DiskTrail(options.fleets);
    this.disposables.add(
      options.engine.onEvent((event) => {
        const now = this.now();
        if (event.type === 'snapshot') return this.trail.observe(event.snapshot.machines, now);
        this.trail.observe(event.upserted, now);
        // Machines re-read with the same disks still get their minute on the heat strip.
        for (const refresh of event.refreshed ?? []) {
          const at = refresh.observedAt.disks;
          if (at !== undefined) this.trail.observeRefresh(refresh.keys, at, now);
        }
      }),
    );
  }

  /** The timeline of a window. */
  async get(request: TimelineRequest): Promise<Timeline> {
    const { from, to } = request;
    const now = this.now();
    const snapshot = this.options.engine.snapshot();
    const audit = this.options.audit
      ? await this.options.audit({ limit: AUDIT_LIMIT, filter: { since: from, until: to } })
      : [];
    const warnings: string[] = [];
    if (this.options.gitlab.length === 0) {
      warnings.push('No GitLab instance is configured: the timeline has no jobs to show.');
    }
    for (const source of snapshot.sources) {
      if (source.kind === 'gitlab' && source.state === 'failing') {
        warnings.push(
          `${source.label} is failing (${source.lastError?.message ?? 'unknown error'}): its newest jobs may be missing.`,
        );
      }
    }
    const keptHours = this.options.gitlab.map((g) => g.timelineHours);
    const jobsSince = keptHours.length > 0 ? now - Math.min(...keptHours) * 3_600_000 : null;
    return buildTimeline({
      from,
      to,
      now,
      machines: snapshot.machines,
      fleets: this.options.fleets,
      jobs: this.options.sources.flatMap((source) => source.timeline()),
      disk: (key) => this.trail.samples(key, from, to),
      audit,
      proposals: snapshot.proposals,
      jobMetrics: this.options.jobMetrics ?? (() => NO_PROMETHEUS),
      jobsSince,
      diskSince: this.trail.since(),
      diskBucketMs: this.trail.bucketMs,
      warnings,
    });
  }

  /**
   * Opens a job's page: looks the job up by its key among the instances' recent jobs and
   * checks the URL against that instance (see `checkedJobUrl`). The renderer never names
   * the URL, so it cannot make the host open anything else.
   */
  async openJob(jobKey: string): Promise<OpenJobResult> {
    const slash = jobKey.lastIndexOf('/');
    const instance = jobKey.slice(0, slash);
    const settings = this.options.gitlab.find((g) => g.id === instance);
    if (!settings) throw new RwError('not_found', `no GitLab instance "${instance}" is configured`);
    const job = this.options.sources
      .filter((source) => source.instance === instance)
      .flatMap((source) => source.timeline())
      .find((candidate) => candidate.key === jobKey);
    if (!job) {
      throw new RwError(
        'not_found',
        `job ${jobKey} is not among the recent jobs of ${instance}; it may have aged out of the timeline`,
      );
    }
    const url = checkedJobUrl(job, settings.url);
    if (!this.options.openExternal) return { url, opened: false };
    await this.options.openExternal(url);
    return { url, opened: true };
  }

  dispose(): Promise<void> {
    return this.disposables.dispose();
  }
}
