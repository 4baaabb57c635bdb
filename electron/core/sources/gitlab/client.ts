import { Jobs, PersonalAccessTokens, Runners, Users } from '@gitbeaker/rest';
import { z } from 'zod';
import { isGitLabError } from './errors';
import { callSignal, GitLabTransport, type TransportOptions } from './requester';
import {
  CurrentUser,
  JobJson,
  ManagerJson,
  parseAs,
  RunnerDetails,
  RunnerSummary,
  TokenSelf,
} from './schemas';
import { readHead } from './trace';

/** Runners per instance this tool reads; more is a broken or hostile answer. */
const MAX_RUNNERS = 20_000;
const MAX_RUNNER_PAGES = MAX_RUNNERS / 100 + 1;

/** Options of a client for one GitLab instance. */
export interface GitLabClientOptions extends Omit<TransportOptions, 'label'> {
  /** Instance URL, e.g. `https://gitlab.example.com`. */
  url: string;
  /** The token, read on every request so a changed token takes effect at once. */
  token: () => string;
  /** For messages; defaults to the URL's host. */
  label?: string;
}

/** What the token may do, as `personal_access_tokens/self` and `user` said. */
export interface TokenInfo {
  /** Null when the instance would not say (older versions, other token kinds). */
  scopes: string[] | null;
  /** Null when `GET /user` was refused. */
  isAdmin: boolean | null;
  username: string | null;
}

/** One page of a runner's jobs, newest first. */
export interface JobsPage {
  jobs: JobJson[];
  nextPage: number | null;
}

/**
 * Typed access to the GitLab calls Runner Watch makes, on `@gitbeaker/rest` resources
 * with our own transport. Every answer is parsed with zod; every method takes the
 * caller's abort signal.
 */
export class GitLabClient {
  readonly transport: GitLabTransport;
  readonly label: string;
  private readonly runners: InstanceType<typeof Runners<false>>;
  private readonly jobs: InstanceType<typeof Jobs<false>>;
  private readonly users: InstanceType<typeof Users<false>>;
  private readonly tokens: InstanceType<typeof PersonalAccessTokens<false>>;

  constructor(options: GitLabClientOptions) {
    this.label = options.label ?? new URL(options.url).host;
    this.transport = new GitLabTransport({ ...options, label: this.label });
    const common = {
      host: options.url.replace(/\/+$/, ''),
      token: async () => options.token(),
      requesterFn: this.transport.requesterFn,
      // Our transport times each request; gitbeaker's one timeout would span all pages.
      queryTimeout: null,
    };
    this.runners = new Runners(common);
    this.jobs = new Jobs(common);
    this.users = new Users(common);
    this.tokens = new PersonalAccessTokens(common);
  }

  /** Scopes and admin flag of the token. Scope or user lookups that are refused yield null. */
  async identify(signal: AbortSignal): Promise<TokenInfo> {
    return callSignal.run(signal, async () => {
      let scopes: string[] | null = null;
      try {
        const self = parseAs(
          TokenSelf,
          await this.tokens.show(),
          `${this.label}: GET /personal_access_tokens/self`,
        );
        scopes = self.scopes;
      } catch (error) {
        // 404 on versions without the endpoint, 403 for token kinds it does not describe.
        if (!isGitLabError(error) || (error.status !== 404 && error.status !== 403)) throw error;
      }
      let isAdmin: boolean | null = null;
      let username: string | null = null;
      try {
        const user = parseAs(
          CurrentUser,
          await this.users.showCurrentUser(),
          `${this.label}: GET /user`,
        );
        isAdmin = user.is_admin === true;
        username = user.username;
      } catch (error) {
        if (!isGitLabError(error) || error.status !== 403) throw error;
      }
      return { scopes, isAdmin, username };
    });
  }

  /** Every runner, all pages: `/runners/all` for admins, `/runners` otherwise. */
  async listRunners(admin: boolean, signal: AbortSignal): Promise<RunnerSummary[]> {
    return callSignal.run(signal, async () => {
      // Bounded: a server that always names a next page, or lists absurdly many runners, is
      // refused instead of read until memory or the rate limit runs out.
      const raw: unknown = admin
        ? await this.runners.all({ perPage: 100, maxPages: MAX_RUNNER_PAGES })
        : await this.runners.all({ owned: true, perPage: 100, maxPages: MAX_RUNNER_PAGES });
      return parseAs(
        z.array(RunnerSummary).max(MAX_RUNNERS, `more than ${MAX_RUNNERS} runners`),
        raw,
        `${this.label}: GET /runners${admin ? '/all' : ''}`,
      );
    });
  }

  async runner(id: number, signal: AbortSignal): Promise<RunnerDetails> {
    return callSignal.run(signal, async () =>
      parseAs(RunnerDetails, await this.runners.show(id), `${this.label}: GET /runners/${id}`),
    );
  }

  /** A runner's managers; null when the instance has no managers endpoint (older versions). */
  async managers(id: number, signal: AbortSignal): Promise<ManagerJson[] | null> {
    return callSignal.run(signal, async () => {
      const out: ManagerJson[] = [];
      let page: number | null = 1;
      try {
        while (page !== null) {
          const response: { body: unknown; headers: Record<string, string> } =
            await this.runners.requester.get(`runners/${id}/managers`, {
              searchParams: { perPage: 100, page },
            });
          out.push(
            ...parseAs(
              z.array(ManagerJson),
              response.body,
              `${this.label}: GET /runners/${id}/managers`,
            ),
          );
          page = Number(response.headers['x-next-page']) || null;
        }
      } catch (error) {
        if (isGitLabError(error) && error.status === 404) return null;
        throw error;
      }
      return out;
    });
  }

  /** The runner's running jobs, all pages. */
  async runningJobs(id: number, signal: AbortSignal): Promise<JobJson[]> {
    return callSignal.run(signal, async () => {
      const raw: unknown = await this.runners.allJobs(id, { status: 'running', perPage: 100 });
      return parseAs(
        z.array(JobJson),
        raw,
        `${this.label}: GET /runners/${id}/jobs?status=running`,
      );
    });
  }

  /** One page of the runner's jobs, newest first (`sort` needs `order_by=id`). */
  async jobsPage(
    id: number,
    page: number,
    perPage: number,
    signal: AbortSignal,
  ): Promise<JobsPage> {
    return callSignal.run(signal, async () => {
      const response = await this.runners.requester.get(`runners/${id}/jobs`, {
        searchParams: { orderBy: 'id', sort: 'desc', perPage, page },
      });
      const jobs = parseAs(
        z.array(JobJson),
        response.body,
        `${this.label}: GET /runners/${id}/jobs`,
      );
      return { jobs, nextPage: Number(response.headers['x-next-page']) || null };
    });
  }

  /** `GET /projects/:id/jobs/:job_id`; `project` is the numeric id or the project's path. */
  async job(project: number | string, jobId: number, signal: AbortSignal): Promise<JobJson> {
    return callSignal.run(signal, async () => {
      const raw: unknown = await this.jobs.show(project, jobId);
      return parseAs(JobJson, raw, `${this.label}: GET /projects/:id/jobs/${jobId}`);
    });
  }

  /** The first `maxBytes` of a job's trace; '' when the job has no trace yet. */
  async traceHead(
    projectId: number,
    jobId: number,
    maxBytes: number,
    signal: AbortSignal,
  ): Promise<{ text: string; truncated: boolean }> {
    return callSignal.run(signal, async () => {
      // gitbeaker's get() honours asStream for every GET though showLog's type omits it:
      // streaming lets us stop after the head instead of downloading a long trace.
      const streamed = { asStream: true } as { showExpanded?: false };
      const body: unknown = await this.jobs.showLog(projectId, jobId, streamed);
      if (body === null || body === undefined) return { text: '', truncated: false };
      if (typeof body === 'string')
        return { text: body.slice(0, maxBytes), truncated: body.length > maxBytes };
      if (!(body instanceof ReadableStream)) return { text: '', truncated: false };
      return readHead(body as ReadableStream<Uint8Array>, maxBytes);
    });
  }

  /** `DELETE /runners/:id` (204). */
  async deleteRunner(id: number, signal: AbortSignal): Promise<void> {
    await callSignal.run(signal, () => this.runners.remove({ runnerId: id }));
  }

  /** `PUT /runners/:id paused=true`. */
  async pauseRunner(id: number, signal: AbortSignal): Promise<void> {
    await callSignal.run(signal, () => this.runners.edit(id, { paused: true }));
  }
}
