import pLimit from 'p-limit';
import type { RunningJob } from '../../../../shared/machine';
import type { Runner, RunnerJob, RunnerManager, RunnerStatus } from '../../../../shared/runner';
import type { GitLabSettings } from '../../../../shared/settings';
import { redactor } from '../../errors/redact';
import type { RunnerAdmin } from '../../runners/admin';
import { staleReason } from '../../runners/stale';
import type { CollectContext, CollectResult, Source } from '../source';
import { GitLabClient } from './client';
import { isGitLabError, isScopeRefusal } from './errors';
import type { JobJson, ManagerJson, RunnerDetails, RunnerSummary } from './schemas';
import { parseTraceHead, type TraceLink } from './trace';
import { TraceRetries } from './trace-retries';

/** Options of one GitLab source; everything but settings and token has a default. */
export interface GitLabSourceOptions {
  settings: GitLabSettings;
  /** Resolves the token (called every cycle; a new value triggers a new scope check). */
  token: () => Promise<string>;
  fetch?: typeof fetch;
  now?: () => number;
  random?: () => number;
  /** Runner details and managers are re-read after this long, or when the listed status changes. */
  detailsRefreshMs?: number;
  /** Each runner's recent jobs are re-read for the timeline after this long. */
  timelineRefreshMs?: number;
  timelinePerPage?: number;
  /** Pages of recent jobs read per runner and refresh at most. */
  maxTimelinePages?: number;
  /** Bytes of a trace read to find `Running on … via <machine>`. */
  traceHeadBytes?: number;
  /** Trace heads of finished jobs (timeline) fetched per cycle at most; running jobs are not capped. */
  maxFinishedTracesPerCycle?: number;
  /** Longest wait between two reads of a trace that names no machine yet (default 5 min). */
  traceRetryMaxMs?: number;
  /** Requests in flight at once against this instance. */
  concurrency?: number;
  retries?: number;
  retryBaseMs?: number;
  maxInlineWaitMs?: number;
}

/** Requests one cycle made, for tests and the steady-state figure. */
export interface CycleStats {
  requests: number;
  byRoute: Record<string, number>;
  busyRunners: number;
  newJobs: number;
  /** Trace heads read again for jobs whose trace did not name a machine before. */
  traceRetries: number;
}

interface DetailsEntry {
  details: RunnerDetails | null;
  managers: ManagerJson[] | null;
  fetchedAt: number;
  listedStatus: RunnerStatus;
}

type TraceEntry = { link: TraceLink | null };

const MINUTE = 60_000;
const UNLINKED: TraceEntry = { link: null };
const TRACE_CACHE_MAX = 20_000;
/** How long a token GitLab rejected (401) is left alone before one more try. */
const REJECTED_RETRY_MS = 15 * MINUTE;

/**
 * One GitLab instance as an inventory source: its runners (details and managers cached
 * per runner), the running jobs of busy runners linked to machines through their trace
 * heads (cached per job for good), and recent finished jobs for the timeline. Busy means
 * *online*: an offline or stale runner has no live job to report, and online status comes
 * with the runner list for free. A missing scope degrades the call it gates, with a
 * warning that says which; 401 fails the source.
 */
export class GitLabSource implements Source, RunnerAdmin {
  readonly id: string;
  readonly kind = 'gitlab' as const;
  readonly label: string;
  readonly phase = 'inventory' as const;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly instance: string;
  readonly client: GitLabClient;
  /** Figures of the last completed cycle. */
  lastCycle: CycleStats | null = null;

  private readonly settings: GitLabSettings;
  private readonly options: GitLabSourceOptions;
  private readonly now: () => number;
  private readonly limit: ReturnType<typeof pLimit>;
  private token = '';
  private identifiedToken: string | null = null;
  /** A token GitLab answered 401 to, with when and the error: not sent again for a while. */
  private rejected: { token: string; at: number; error: unknown } | null = null;
  private identityWarnings: string[] = [];
  private scopes: string[] | null = null;
  private isAdmin: boolean | null = null;
  private detailsRefused = false;
  /** `/runners/all` was refused in the last cycle: only the user's own runners were listed. */
  private allRefused = false;
  private managersSupported = true;
  private readonly details = new Map<number, DetailsEntry>();
  private readonly traces = new Map<number, TraceEntry>();
  private readonly traceRetries: TraceRetries;
  private readonly timelineJobs = new Map<number, RunnerJob>();
  private readonly timelineFetchedAt = new Map<number, number>();
  private readonly timelineNewestId = new Map<number, number>();

  constructor(options: GitLabSourceOptions) {
    this.options = options;
    this.settings = options.settings;
    this.instance = options.settings.id;
    this.id = `gitlab:${options.settings.id}`;
    // The chip in the UI names the instance as configured, not just a host:port.
    this.label = `GitLab ${options.settings.id} · ${options.settings.url.replace(/\/+$/, '')}`;
    const clientLabel = new URL(options.settings.url).host;
    this.intervalMs = options.settings.intervalSec * 1000;
    // The first cycle reads every runner's details; give it room beyond one request's timeout.
    this.timeoutMs = options.settings.timeoutSec * 1000 * 4;
    this.now = options.now ?? Date.now;
    this.limit = pLimit(options.concurrency ?? 4);
    this.traceRetries = new TraceRetries({
      baseMs: this.intervalMs,
      maxMs: Math.max(this.intervalMs, options.traceRetryMaxMs ?? 5 * MINUTE),
    });
    this.client = new GitLabClient({
      url: options.settings.url,
      token: () => this.token,
      label: clientLabel,
      timeoutMs: options.settings.timeoutSec * 1000,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.now ? { now: options.now } : {}),
      ...(options.random ? { random: options.random } : {}),
      ...(options.retries === undefined ? {} : { retries: options.retries }),
      ...(options.retryBaseMs === undefined ? {} : { retryBaseMs: options.retryBaseMs }),
      ...(options.maxInlineWaitMs === undefined
        ? {}
        : { maxInlineWaitMs: options.maxInlineWaitMs }),
    });
  }

  async collect(signal: AbortSignal, context?: CollectContext): Promise<CollectResult> {
    try {
      return await this.collectOnce(signal, context);
    } catch (error) {
      if (isGitLabError(error) && error.code === 'unauthorized') {
        this.rejected = { token: this.token, at: this.now(), error };
        this.identifiedToken = null;
      }
      throw error;
    }
  }

  private async collectOnce(
    signal: AbortSignal,
    _context?: CollectContext,
  ): Promise<CollectResult> {
    this.client.transport.takeCounts();
    const startTotal = this.client.transport.total;
    const token = await this.ensureToken();
    // A rejected token is not tried again until it changes or a while has passed: 401s in a
    // loop can lock the account, and the answer will not change by itself.
    if (
      this.rejected &&
      this.rejected.token === token &&
      this.now() - this.rejected.at < REJECTED_RETRY_MS
    ) {
      this.lastCycle = { requests: 0, byRoute: {}, busyRunners: 0, newJobs: 0, traceRetries: 0 };
      throw this.rejected.error;
    }
    this.rejected = null;
    await this.ensureIdentity(signal);
    const warnings = [...this.identityWarnings];
    const warn = (message: string) => {
      if (!warnings.includes(message)) warnings.push(message);
    };

    const summaries = await this.listRunners(signal, warn);
    const now = this.now();
    const listed = summaries.map((summary) => ({ summary, status: listedStatus(summary) }));

    // Details and managers: cached per runner, re-read when old or when the status moved.
    await Promise.all(
      listed.map(({ summary, status }) =>
        this.limit(async () => {
          const cached = this.details.get(summary.id);
          // Only an online runner's details move on their own (contact time, version after an
          // upgrade); any other runner changes status first when it comes back.
          const aged =
            status === 'online' &&
            now - (cached?.fetchedAt ?? 0) >= (this.options.detailsRefreshMs ?? 10 * MINUTE);
          const due = !cached || cached.listedStatus !== status || aged;
          if (!due) return;
          await this.readDetails(summary.id, status, signal, warn);
        }),
      ),
    );
    const listedIds = new Set(summaries.map((s) => s.id));
    for (const id of this.details.keys()) if (!listedIds.has(id)) this.details.delete(id);

    // Running jobs of busy (online) runners.
    const busy = listed.filter(({ status }) => status === 'online');
    const running = new Map<number, JobJson[]>();
    let jobsKnown = true;
    await Promise.all(
      busy.map(({ summary }) =>
        this.limit(async () => {
          try {
            running.set(summary.id, await this.client.runningJobs(summary.id, signal));
          } catch (error) {
            if (isScopeRefusal(error)) {
              jobsKnown = false;
              warn(
                `token lacks the scope for runner jobs (${error.call}): running jobs and job→machine links are unknown`,
              );
              return;
            }
            if (isGitLabError(error) && error.status === 404) return; // deleted since the list
            throw error;
          }
        }),
      ),
    );

    // Trace heads of jobs not seen before link them to machines; a trace that does not
    // name a machine yet is read again on a back-off, not every cycle.
    const counts = { newJobs: 0, retries: 0 };
    const allRunning = [...running.entries()].flatMap(([runnerId, jobs]) =>
      jobs.map((job) => ({ runnerId, job })),
    );
    await Promise.all(
      allRunning.map(({ job }) =>
        this.limit(async () => {
          if (this.traces.has(job.id)) return;
          if (!this.traceRetries.due(job.id, job.status, now)) return;
          if (this.traceRetries.tried(job.id)) counts.retries += 1;
          else counts.newJobs += 1;
          await this.linkJob(job, signal, warn);
        }),
      ),
    );

    await this.refreshTimeline(listed, signal, warn, now, counts);
    const { newJobs } = counts;

    const jobsByMachine = new Map<string, RunningJob[]>();
    const unlinkedJobs: { jobId: number; runnerId: number }[] = [];
    for (const { runnerId, job } of allRunning) {
      this.timelineJobs.set(job.id, this.toRunnerJob(job, runnerId));
      const link = this.traces.get(job.id)?.link;
      if (!link) {
        // Image pulls come before `via <machine>` in the trace; until then (or when the
        // trace is missing or refused) the job could be on any machine.
        unlinkedJobs.push({ jobId: job.id, runnerId });
        continue;
      }
      const list = jobsByMachine.get(link.machine) ?? [];
      list.push(toRunningJob(job, runnerId));
      jobsByMachine.set(link.machine, list);
    }

    const runners = listed.map(({ summary, status }) =>
      this.toRunner(summary, status, running.get(summary.id) ?? null, now),
    );
    const byRoute = Object.fromEntries(this.client.transport.takeCounts());
    this.lastCycle = {
      requests: this.client.transport.total - startTotal,
      byRoute,
      busyRunners: busy.length,
      newJobs,
      traceRetries: counts.retries,
    };
    const result: CollectResult = { machines: [], runners, warnings };
    // Unknown is never empty: without every busy runner's jobs, keep the last reading (it turns stale).
    if (jobsKnown) {
      result.finishedJobs = this.finishedJobs(now);
      result.jobsByMachine = jobsByMachine;
      result.unlinkedJobs = unlinkedJobs;
      const partial = this.partialVisibility();
      if (partial) result.partialRunners = partial;
    }
    // Slow down before hitting the limit: when the budget left would not carry another
    // cycle like this one (plus the reserve for the user's own actions), wait for the reset.
    const wait = this.client.transport.slowDownMs(this.lastCycle.requests);
    if (wait > 0) result.retryAfterMs = wait;
    return result;
  }

  /**
   * The last finished job per machine within the timeline window. Complete only when every
   * runner's timeline was read and every finished job of the window is linked: a job that
   * ran somewhere unknown could have run on any machine.
   */
  private finishedJobs(now: number): NonNullable<CollectResult['finishedJobs']> {
    const since = now - this.settings.timelineHours * 3_600_000;
    const lastByMachine = new Map<string, { jobId: number; finishedAt: number }>();
    let complete = true;
    // An online runner whose recent jobs were not read (refused, not yet) may have run anything.
    for (const [id, entry] of this.details)
      if (entry.listedStatus === 'online' && !this.timelineFetchedAt.has(id)) complete = false;
    for (const job of this.timelineJobs.values()) {
      if (job.finishedAt === null || job.finishedAt < since) continue;
      const link = this.traces.get(job.jobId);
      if (!link) {
        complete = false;
        continue;
      }
      const machine = link.link?.machine;
      // A finished job whose trace names no machine (shell executor, cut-off trace) ran
      // somewhere we cannot say: no evidence for anyone.
      if (!machine) {
        complete = false;
        continue;
      }
      const last = lastByMachine.get(machine);
      if (!last || job.finishedAt > last.finishedAt)
        lastByMachine.set(machine, { jobId: job.jobId, finishedAt: job.finishedAt });
    }
    return { since, complete, lastByMachine };
  }

  /** Recent jobs for the timeline (running and finished within the window), newest first. */
  timeline(): RunnerJob[] {
    return [...this.timelineJobs.values()].sort((a, b) => b.jobId - a.jobId);
  }

  /** The client with the token resolved, for calls outside a cycle (job metrics). */
  async readyClient(): Promise<GitLabClient> {
    await this.ensureToken();
    return this.client;
  }

  // RunnerAdmin ------------------------------------------------------------------------

  canManage(): boolean | null {
    if (this.scopes === null) return null;
    return this.scopes.includes('manage_runner') || this.scopes.includes('api');
  }

  async check(id: number, signal: AbortSignal): Promise<Runner | null> {
    await this.ensureToken();
    let details: RunnerDetails;
    try {
      details = await this.client.runner(id, signal);
    } catch (error) {
      if (isGitLabError(error) && error.status === 404) return null;
      throw error;
    }
    const status = detailsStatus(details);
    const cached = this.details.get(id);
    const managers = cached?.managers ?? null;
    return this.buildRunner(details, status, details, managers, null, this.now());
  }

  async remove(id: number, signal: AbortSignal): Promise<void> {
    await this.ensureToken();
    await this.client.deleteRunner(id, signal);
    this.details.delete(id);
  }

  async pause(id: number, signal: AbortSignal): Promise<void> {
    await this.ensureToken();
    await this.client.pauseRunner(id, signal);
    this.details.delete(id);
  }

  slowDownMs(): number {
    return this.client.transport.slowDownMs();
  }

  // internals ---------------------------------------------------------------------------

  /**
   * Why this token may not see every runner's jobs, or null when it sees them all: only an
   * administrator's token lists every runner (`/runners/all`); any other sees some of them,
   * and a job of a runner it cannot see could be running on any machine.
   */
  private partialVisibility(): string | null {
    if (this.isAdmin === true && !this.allRefused) return null;
    return `GitLab ${this.label} shows only the runners this token's user can see (not an administrator): jobs of other runners are invisible`;
  }

  private async ensureToken(): Promise<string> {
    const token = await this.options.token();
    redactor.register(token);
    this.token = token;
    return token;
  }

  /** At start and whenever the token changes: what may this token do? */
  private async ensureIdentity(signal: AbortSignal): Promise<void> {
    const token = await this.ensureToken();
    if (this.identifiedToken === token) return;
    const info = await this.client.identify(signal);
    const warnings: string[] = [];
    this.scopes = info.scopes;
    this.isAdmin = info.isAdmin;
    this.detailsRefused = false;
    this.managersSupported = true;
    this.details.clear();
    if (info.scopes === null) {
      warnings.push(
        "could not read the token's scopes (GET /personal_access_tokens/self unavailable): calls the token may not make are reported as they fail",
      );
    } else {
      const has = (scope: string) => info.scopes?.includes(scope) === true;
      if (!has('api') && !has('read_api')) {
        warnings.push(
          'token lacks read_api: runners and jobs cannot be read (add the read_api or api scope)',
        );
      }
      if (!has('api') && !has('manage_runner')) {
        warnings.push('token lacks manage_runner: deleting and pausing runners is unavailable');
      }
    }
    if (info.isAdmin === false) {
      warnings.push(
        "token's user is not an administrator: only the runners this user can see are listed (GET /runners/all needs an admin)",
      );
    } else if (info.isAdmin === null) {
      warnings.push(
        "could not read the token's user (GET /user refused): listing only the runners this user can see",
      );
    }
    this.identityWarnings = warnings;
    this.identifiedToken = token;
  }

  private async listRunners(
    signal: AbortSignal,
    warn: (m: string) => void,
  ): Promise<RunnerSummary[]> {
    this.allRefused = false;
    if (this.isAdmin === true) {
      try {
        return await this.client.listRunners(true, signal);
      } catch (error) {
        if (!isScopeRefusal(error)) throw error;
        this.allRefused = true;
        warn(`${error.call} refused: listing only the runners this user can see`);
      }
    }
    return this.client.listRunners(false, signal);
  }

  private async readDetails(
    id: number,
    status: RunnerStatus,
    signal: AbortSignal,
    warn: (m: string) => void,
  ): Promise<void> {
    let details: RunnerDetails | null = null;
    let managers: ManagerJson[] | null = null;
    const previous = this.details.get(id);
    if (!this.detailsRefused) {
      try {
        details = await this.client.runner(id, signal);
      } catch (error) {
        if (isGitLabError(error) && error.status === 404) return;
        if (!isScopeRefusal(error)) throw error;
        this.detailsRefused = true;
      }
    }
    if (this.detailsRefused) {
      warn(
        'token lacks the scope for GET /runners/:id on this GitLab version (manage_runner): runner versions, tags and last contact are unknown',
      );
    }
    if (this.managersSupported) {
      try {
        managers = await this.client.managers(id, signal);
        if (managers === null) this.managersSupported = false;
      } catch (error) {
        if (!isScopeRefusal(error)) throw error;
        warn(`token lacks the scope for ${error.call}: runner managers are unknown`);
      }
    }
    this.details.set(id, {
      details: details ?? previous?.details ?? null,
      managers: managers ?? previous?.managers ?? null,
      fetchedAt: this.now(),
      listedStatus: status,
    });
  }

  private async linkJob(
    job: JobJson,
    signal: AbortSignal,
    warn: (m: string) => void,
  ): Promise<boolean> {
    const projectId = job.project?.id ?? job.pipeline?.project_id;
    if (projectId === undefined || projectId === null) {
      this.remember(job.id, UNLINKED);
      return false;
    }
    const missed = () => this.traceRetries.missed(job.id, job.status, this.now());
    const maxBytes = this.options.traceHeadBytes ?? 16_384;
    let head: { text: string; truncated: boolean };
    try {
      head = await this.client.traceHead(projectId, job.id, maxBytes, signal);
    } catch (error) {
      // No trace yet (404) or no access: try again later, never cache as unlinked.
      if (isGitLabError(error) && error.status === 404) {
        missed();
        return false;
      }
      if (isScopeRefusal(error)) {
        warn(`token lacks access to job traces (${error.call}): jobs cannot be linked to machines`);
        return false;
      }
      throw error;
    }
    if (head.text.trim() === '') {
      missed(); // trace not written yet
      return false;
    }
    const link = parseTraceHead(head.text);
    if (link) {
      this.remember(job.id, { link });
      return true;
    }
    // A short trace of a running job may simply not have reached the prepare step yet.
    const finished = job.status !== 'running' && job.status !== 'pending';
    if (head.truncated || finished) this.remember(job.id, UNLINKED);
    else missed();
    return false;
  }

  private remember(jobId: number, entry: TraceEntry): void {
    this.traceRetries.forget(jobId);
    if (this.traces.size >= TRACE_CACHE_MAX) {
      const oldest = this.traces.keys().next().value;
      if (oldest !== undefined) this.traces.delete(oldest);
    }
    this.traces.set(jobId, entry);
  }

  /**
   * Recent jobs, newest first, per runner on its own refresh: the first read covers the
   * window (bounded pages); later reads stop at the newest job already known.
   */
  private async refreshTimeline(
    listed: { summary: RunnerSummary; status: RunnerStatus }[],
    signal: AbortSignal,
    warn: (m: string) => void,
    now: number,
    counts: { newJobs: number; retries: number },
  ): Promise<void> {
    const windowStart = now - this.settings.timelineHours * 3_600_000;
    const refresh = this.options.timelineRefreshMs ?? 5 * MINUTE;
    const perPage = this.options.timelinePerPage ?? 50;
    const maxPages = this.options.maxTimelinePages ?? 4;
    let budget = this.options.maxFinishedTracesPerCycle ?? 20;
    const due = listed.filter(({ summary, status }) => {
      // A runner whose last contact predates the window ran nothing inside it.
      const contacted = this.contactOf(summary.id);
      if (status !== 'online' && contacted !== null && contacted < windowStart) return false;
      const last = this.timelineFetchedAt.get(summary.id);
      if (last === undefined) return true;
      // Runners that are not online run nothing new: one read after they went quiet is enough.
      return status === 'online' && now - last >= refresh;
    });
    await Promise.all(
      due.map(({ summary }) =>
        this.limit(async () => {
          // Jobs at or below `known` are settled; unfinished ones are read again until they finish.
          let known = this.timelineNewestId.get(summary.id) ?? 0;
          for (const job of this.timelineJobs.values()) {
            if (job.runnerId === summary.id && job.finishedAt === null)
              known = Math.min(known, job.jobId - 1);
          }
          let newest = this.timelineNewestId.get(summary.id) ?? 0;
          try {
            for (let page = 1; page <= maxPages; page += 1) {
              const { jobs, nextPage } = await this.client.jobsPage(
                summary.id,
                page,
                perPage,
                signal,
              );
              let reachedKnown = false;
              for (const job of jobs) {
                newest = Math.max(newest, job.id);
                if (job.id <= known) {
                  reachedKnown = true;
                  continue;
                }
                const created = job.created_at ?? job.started_at ?? now;
                if (created < windowStart) continue;
                this.timelineJobs.set(job.id, this.toRunnerJob(job, summary.id));
              }
              const last = jobs[jobs.length - 1];
              const oldest = last ? (last.created_at ?? now) : now;
              if (reachedKnown || nextPage === null || oldest < windowStart) break;
            }
          } catch (error) {
            if (isScopeRefusal(error)) {
              warn(
                `token lacks the scope for runner jobs (${error.call}): the timeline is incomplete`,
              );
              return;
            }
            if (isGitLabError(error) && error.status === 404) return;
            throw error;
          }
          this.timelineNewestId.set(summary.id, newest);
          this.timelineFetchedAt.set(summary.id, now);
        }),
      ),
    );
    // Link finished jobs to machines within a per-cycle budget; the cache makes it converge.
    for (const [id, job] of this.timelineJobs) {
      // Finished before the window, or left "running" by a runner that went away a day ago.
      const end =
        job.finishedAt ??
        (job.status === 'running' || job.status === 'pending'
          ? (job.createdAt ?? now) + 24 * 60 * MINUTE
          : now);
      if (end < windowStart) {
        this.timelineJobs.delete(id);
        continue;
      }
      const cached = this.traces.get(id);
      if (cached) {
        job.machine = cached.link?.machine ?? null;
        continue;
      }
      if (budget <= 0 || job.projectId === null || job.status === 'pending') continue;
      if (!this.traceRetries.due(id, job.status, now)) continue;
      budget -= 1;
      if (this.traceRetries.tried(id)) counts.retries += 1;
      else counts.newJobs += 1;
      const json = { id, status: job.status, project: { id: job.projectId } } as JobJson;
      if (await this.limit(() => this.linkJob(json, signal, warn))) {
        job.machine = this.traces.get(id)?.link?.machine ?? null;
      }
    }
  }

  private toRunnerJob(job: JobJson, runnerId: number): RunnerJob {
    return {
      key: `${this.instance}/${job.id}`,
      instance: this.instance,
      jobId: job.id,
      runnerId,
      status: job.status,
      name: job.name ?? null,
      projectId: job.project?.id ?? job.pipeline?.project_id ?? null,
      projectPath: job.project?.path_with_namespace ?? null,
      pipelineId: job.pipeline?.id ?? null,
      ref: job.ref ?? null,
      user: job.user?.username ?? null,
      jobUrl: job.web_url ?? null,
      createdAt: job.created_at,
      startedAt: job.started_at,
      finishedAt: job.finished_at,
      machine: this.traces.get(job.id)?.link?.machine ?? null,
      queuedSec: queuedSeconds(job),
      tags: job.tag_list ?? [],
    };
  }

  /** Last contact from the cached details or managers; null when unknown. */
  private contactOf(id: number): number | null {
    const entry = this.details.get(id);
    if (!entry) return null;
    const fromManagers = (entry.managers ?? []).reduce<number | null>(
      (acc, m) => (m.contacted_at === null ? acc : Math.max(acc ?? 0, m.contacted_at)),
      null,
    );
    return entry.details?.contacted_at ?? fromManagers;
  }

  private toRunner(
    summary: RunnerSummary,
    status: RunnerStatus,
    jobs: JobJson[] | null,
    now: number,
  ): Runner {
    const entry = this.details.get(summary.id);
    return this.buildRunner(
      summary,
      status,
      entry?.details ?? null,
      entry?.managers ?? null,
      jobs,
      now,
    );
  }

  private buildRunner(
    summary: RunnerSummary,
    status: RunnerStatus,
    details: RunnerDetails | null,
    managers: ManagerJson[] | null,
    jobs: JobJson[] | null,
    now: number,
  ): Runner {
    const mgrs: RunnerManager[] = (managers ?? []).map((m) => ({
      id: m.id,
      systemId: m.system_id,
      version: m.version ?? null,
      platform: m.platform ?? null,
      architecture: m.architecture ?? null,
      ipAddress: m.ip_address ?? null,
      contactedAt: m.contacted_at,
      status: m.status ?? 'unknown',
    }));
    const managerContact = mgrs.reduce<number | null>(
      (acc, m) => (m.contactedAt === null ? acc : Math.max(acc ?? 0, m.contactedAt)),
      null,
    );
    const contactedAt = details?.contacted_at ?? managerContact;
    const newestManager = [...mgrs].sort((a, b) => (b.contactedAt ?? 0) - (a.contactedAt ?? 0))[0];
    return {
      key: `${this.instance}/${summary.id}`,
      instance: this.instance,
      id: summary.id,
      description: summary.description ?? details?.description ?? null,
      status,
      paused:
        summary.paused ??
        (summary.active === null || summary.active === undefined ? null : !summary.active),
      runnerType: summary.runner_type ?? details?.runner_type ?? null,
      version: details?.version ?? newestManager?.version ?? null,
      tags: details?.tag_list ?? [],
      contactedAt,
      managers: mgrs,
      staleReason: staleReason(status, contactedAt, now, this.settings.staleAfterDays),
      runningJobs: jobs === null ? null : jobs.length,
    };
  }
}

/** Status from the runner list; older versions send only `online`. */
function listedStatus(summary: RunnerSummary): RunnerStatus {
  if (summary.status) return summary.status;
  if (summary.online === true) return 'online';
  if (summary.online === false) return 'offline';
  return 'unknown';
}

function detailsStatus(details: RunnerDetails): RunnerStatus {
  return listedStatus(details);
}

function toRunningJob(job: JobJson, runnerId: number): RunningJob {
  return {
    jobId: job.id,
    projectId: job.project?.id ?? job.pipeline?.project_id ?? null,
    pipelineId: job.pipeline?.id ?? null,
    runnerId,
    containerName: null,
    jobUrl: job.web_url ?? null,
    ref: job.ref ?? null,
    name: job.name ?? null,
    projectPath: job.project?.path_with_namespace ?? null,
    user: job.user?.username ?? null,
    startedAt: job.started_at,
    seenIn: ['gitlab'],
  };
}

/**
 * Pick-up wait of a job: GitLab's `queued_duration` where the instance reports it (older
 * versions do not), else started − created. Negative or non-finite values are unknown.
 */
function queuedSeconds(job: JobJson): number | null {
  const reported = job.queued_duration;
  if (typeof reported === 'number')
    return Number.isFinite(reported) && reported >= 0 ? reported : null;
  if (job.started_at === null || job.created_at === null) return null;
  const sec = (job.started_at - job.created_at) / 1000;
  return sec >= 0 ? sec : null;
}
