import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  managerStatus,
  runnerStatus,
  type SimInstanceState,
  type SimJob,
  type SimRunner,
  type SimToken,
  type SimUser,
} from './state';
import { renderTrace } from './trace';

/** One request as the simulator saw it (tests count and inspect these). */
export interface SimRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  at: number;
  status: number;
}

/** A running simulated GitLab instance. */
export interface GitLabSim {
  /** Base URL, e.g. `http://127.0.0.1:41234` (the API lives under `/api/v4`). */
  readonly url: string;
  /** Live state: change it to change what the instance answers. */
  state: SimInstanceState;
  /** Every request served, oldest first. */
  readonly requests: SimRequest[];
  /** Requests per `METHOD /path` since the last reset. */
  counts(): Map<string, number>;
  /** Number of requests whose `METHOD /path` matches the pattern. */
  count(pattern?: RegExp): number;
  resetCounts(): void;
  close(): Promise<void>;
  dispose(): Promise<void>;
}

/** Options of `startGitLabSim`. */
export interface GitLabSimOptions {
  state: SimInstanceState;
  /** The simulated clock (runner status, rate-limit windows); defaults to Date.now. */
  now?: () => number;
  /** Loopback address to listen on; defaults to 127.0.0.1. */
  host?: string;
}

type Json = Record<string, unknown> | unknown[];

class HttpAnswer {
  constructor(
    readonly status: number,
    readonly body: Json | string | null,
    readonly headers: Record<string, string> = {},
  ) {}
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * Starts a GitLab REST v4 simulator on loopback, port 0. Faithful to REFERENCE.md:
 * token auth with scopes and admin flag, offset pagination headers (totals omitted on
 * large sets), RateLimit-* headers and 429 `Retry later`, runner statuses, managers,
 * jobs with real-format traces, an older-version mode, and fault injection.
 */
export async function startGitLabSim(options: GitLabSimOptions): Promise<GitLabSim> {
  const now = options.now ?? Date.now;
  const host = options.host ?? '127.0.0.1';
  const requests: SimRequest[] = [];
  let counts = new Map<string, number>();
  const windows = new Map<string, { start: number; used: number }>();
  const timers = new Set<NodeJS.Timeout>();

  const server: Server = createServer((req, res) => {
    const sim = handle.state;
    if (sim.faults.downAfterRequests !== null) {
      if (sim.faults.downAfterRequests <= 0) sim.faults.down = true;
      else sim.faults.downAfterRequests -= 1;
    }
    if (sim.faults.down) {
      req.socket.destroy();
      return;
    }
    const respond = () => {
      const url = new URL(req.url ?? '/', 'http://sim.invalid');
      let answer: HttpAnswer;
      let extraHeaders: Record<string, string> = {};
      try {
        const result = route(req, url, sim);
        answer = result.answer;
        extraHeaders = result.rateHeaders;
      } catch (error) {
        answer = new HttpAnswer(500, { message: `500 Internal Server Error: ${String(error)}` });
      }
      const key = `${req.method ?? 'GET'} ${url.pathname}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      requests.push({
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        at: now(),
        status: answer.status,
      });
      send(res, answer, extraHeaders);
    };
    // The body of PUT requests is form or JSON; read it fully before answering.
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      (req as IncomingMessage & { bodyText?: string }).bodyText =
        Buffer.concat(chunks).toString('utf8');
      if (sim.faults.slowMs > 0) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          respond();
        }, sim.faults.slowMs);
        timers.add(timer);
      } else {
        respond();
      }
    });
  });

  function send(res: ServerResponse, answer: HttpAnswer, extra: Record<string, string>): void {
    const headers: Record<string, string> = { ...extra, ...answer.headers };
    if (res.destroyed) return;
    if (answer.body === null) {
      res.writeHead(answer.status, headers).end();
    } else if (typeof answer.body === 'string') {
      res
        .writeHead(answer.status, { 'content-type': 'text/plain; charset=utf-8', ...headers })
        .end(answer.body);
    } else {
      res
        .writeHead(answer.status, { 'content-type': 'application/json', ...headers })
        .end(JSON.stringify(answer.body));
    }
  }

  function authenticate(req: IncomingMessage, sim: SimInstanceState): SimToken | null {
    const privateToken = req.headers['private-token'];
    const authorization = req.headers.authorization;
    let presented: string | undefined;
    if (typeof privateToken === 'string') presented = privateToken;
    else if (typeof authorization === 'string' && authorization.startsWith('Bearer ')) {
      presented = authorization.slice('Bearer '.length);
    }
    if (!presented) return null;
    const token = sim.tokens.find((t) => t.token === presented);
    if (!token || token.revoked || token.active === false) return null;
    return token;
  }

  function rateLimit(
    key: string,
    sim: SimInstanceState,
  ): { headers: Record<string, string>; over: boolean; retryAfter: number } {
    const limit = sim.rateLimit ?? { limit: 2_000, windowSec: 60 };
    const t = now();
    let window = windows.get(key);
    if (!window || t - window.start >= limit.windowSec * 1000) {
      window = { start: t, used: 0 };
      windows.set(key, window);
    }
    window.used += 1;
    const resetMs = window.start + limit.windowSec * 1000;
    const remaining = Math.max(0, limit.limit - window.used);
    const headers = {
      'RateLimit-Limit': String(limit.limit),
      'RateLimit-Observed': String(window.used),
      'RateLimit-Remaining': String(remaining),
      'RateLimit-Reset': String(Math.ceil(resetMs / 1000)),
      'RateLimit-ResetTime': new Date(resetMs).toUTCString(),
    };
    const over = sim.rateLimit !== null && window.used > limit.limit;
    return { headers, over, retryAfter: Math.max(1, Math.ceil((resetMs - t) / 1000)) };
  }

  function route(
    req: IncomingMessage,
    url: URL,
    sim: SimInstanceState,
  ): { answer: HttpAnswer; rateHeaders: Record<string, string> } {
    const method = req.method ?? 'GET';
    const path = url.pathname.replace(/\/+$/, '');
    if (sim.faults.errors && sim.faults.errors.remaining > 0) {
      const { pathIncludes, method: onlyMethod } = sim.faults.errors;
      if (
        (!pathIncludes || path.endsWith(pathIncludes) || path.includes(`${pathIncludes}/`)) &&
        (!onlyMethod || onlyMethod === method)
      ) {
        sim.faults.errors.remaining -= 1;
        const status = sim.faults.errors.status;
        return {
          answer: new HttpAnswer(status, { message: `${status} Internal Server Error` }),
          rateHeaders: {},
        };
      }
    }
    const token = authenticate(req, sim);
    const limited = rateLimit(token?.token ?? req.socket.remoteAddress ?? 'anon', sim);
    if (sim.faults.tooMany && sim.faults.tooMany.remaining > 0) {
      sim.faults.tooMany.remaining -= 1;
      return {
        answer: new HttpAnswer(429, 'Retry later', {
          'Retry-After': String(sim.faults.tooMany.retryAfterSec),
        }),
        rateHeaders: limited.headers,
      };
    }
    if (limited.over) {
      return {
        answer: new HttpAnswer(429, 'Retry later', { 'Retry-After': String(limited.retryAfter) }),
        rateHeaders: limited.headers,
      };
    }
    if (!path.startsWith('/api/v4/')) {
      return {
        answer: new HttpAnswer(404, { error: '404 Not Found' }),
        rateHeaders: limited.headers,
      };
    }
    if (!token) {
      return {
        answer: new HttpAnswer(401, { message: '401 Unauthorized' }),
        rateHeaders: limited.headers,
      };
    }
    const user = sim.users.find((u) => u.id === token.userId);
    if (!user)
      return {
        answer: new HttpAnswer(401, { message: '401 Unauthorized' }),
        rateHeaders: limited.headers,
      };
    const answer = api(method, path.slice('/api/v4'.length), url, req, sim, token, user);
    return { answer, rateHeaders: limited.headers };
  }

  function api(
    method: string,
    path: string,
    url: URL,
    req: IncomingMessage,
    sim: SimInstanceState,
    token: SimToken,
    user: SimUser,
  ): HttpAnswer {
    const has = (...scopes: string[]) => scopes.some((s) => token.scopes.includes(s));
    const insufficient = (...needed: string[]) =>
      new HttpAnswer(403, {
        error: 'insufficient_scope',
        error_description:
          'The request requires higher privileges than provided by the access token.',
        scope: needed.join(' '),
      });
    const forbidden = new HttpAnswer(403, { message: '403 Forbidden' });
    const notFound = (what: string) => new HttpAnswer(404, { message: `404 ${what} Not Found` });
    const t = now();

    if (method === 'GET' && path === '/personal_access_tokens/self') {
      return new HttpAnswer(200, {
        id: token.id,
        name: token.name,
        revoked: token.revoked ?? false,
        created_at: iso(t - 86_400_000),
        scopes: token.scopes,
        user_id: token.userId,
        last_used_at: iso(t),
        active: token.active ?? true,
        expires_at: token.expiresAt ?? null,
      });
    }
    if (method === 'GET' && !has('api', 'read_api', 'read_user') && path === '/user')
      return insufficient('api', 'read_api', 'read_user');
    if (method === 'GET' && path === '/user') {
      const body: Record<string, unknown> = {
        id: user.id,
        username: user.username,
        name: user.username,
        state: 'active',
      };
      // GitLab includes is_admin only for administrators.
      if (user.isAdmin) body.is_admin = true;
      return new HttpAnswer(200, body);
    }
    if (method === 'GET' && !has('api', 'read_api')) return insufficient('api', 'read_api');

    const visible = (runner: SimRunner) => user.isAdmin || runner.ownerUserIds.includes(user.id);

    if (method === 'GET' && (path === '/runners/all' || path === '/runners')) {
      if (path === '/runners/all' && !user.isAdmin) return forbidden;
      const q = url.searchParams;
      let list = sim.runners.filter(visible);
      const type = q.get('type');
      if (type) list = list.filter((r) => r.runnerType === type);
      const status = q.get('status');
      if (status) list = list.filter((r) => runnerStatus(r, t, sim.version) === status);
      const paused = q.get('paused');
      if (paused !== null) list = list.filter((r) => String(r.paused) === paused);
      const tags = q.get('tag_list') ?? q.get('tag_list[]');
      if (tags) {
        const wanted = tags
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        list = list.filter((r) => wanted.every((tag) => r.tagList.includes(tag)));
      }
      list = [...list].sort((a, b) => a.id - b.id);
      return paginate(
        list.map((r) => runnerSummary(r, sim, t)),
        url,
        sim,
      );
    }

    const runnerMatch = /^\/runners\/(\d+)(\/managers|\/jobs)?$/.exec(path);
    if (runnerMatch) {
      const id = Number(runnerMatch[1]);
      const sub = runnerMatch[2];
      const runner = sim.runners.find((r) => r.id === id);
      if (sub === '/managers' && sim.version === 'old')
        return new HttpAnswer(404, { error: '404 Not Found' });
      if (!runner) return notFound('Runner');
      if (!visible(runner)) return forbidden;
      if (method === 'GET' && sub === undefined) {
        if (sim.runnerGetNeedsManageRunner && !has('manage_runner', 'api'))
          return insufficient('manage_runner');
        return new HttpAnswer(200, runnerDetails(runner, sim, t));
      }
      if (method === 'GET' && sub === '/managers') {
        return paginate(
          runner.managers.map((m) => ({
            id: m.id,
            system_id: m.systemId,
            version: m.version,
            revision: m.revision,
            platform: m.platform,
            architecture: m.architecture,
            ip_address: m.ipAddress,
            created_at: iso(m.createdAt),
            contacted_at: iso(m.contactedAt),
            status: managerStatus(m, t),
          })),
          url,
          sim,
        );
      }
      if (method === 'GET' && sub === '/jobs') {
        const q = url.searchParams;
        let jobs = sim.jobs.filter((j) => j.runnerId === id);
        const status = q.get('status');
        if (status) jobs = jobs.filter((j) => j.status === status);
        const systemId = q.get('system_id');
        if (systemId) jobs = jobs.filter((j) => j.systemId === systemId);
        // `sort` is honoured only with order_by=id; without it jobs come oldest first.
        const desc = q.get('order_by') === 'id' && q.get('sort') === 'desc';
        jobs = [...jobs].sort((a, b) => (desc ? b.id - a.id : a.id - b.id));
        return paginate(
          jobs.map((j) => jobJson(j, t)),
          url,
          sim,
        );
      }
      if (method === 'DELETE' && sub === undefined) {
        if (!has('manage_runner', 'api')) return insufficient('manage_runner', 'api');
        sim.runners = sim.runners.filter((r) => r.id !== id);
        return new HttpAnswer(204, null);
      }
      if (method === 'PUT' && sub === undefined) {
        if (!has('manage_runner', 'api')) return insufficient('manage_runner', 'api');
        const params = bodyParams(req);
        const paused =
          params.paused ??
          (params.active === undefined
            ? undefined
            : String(params.active) === 'false'
              ? 'true'
              : 'false');
        if (paused !== undefined) runner.paused = String(paused) === 'true';
        if (typeof params.description === 'string') runner.description = params.description;
        return new HttpAnswer(200, runnerDetails(runner, sim, t));
      }
      return new HttpAnswer(405, { message: '405 Method Not Allowed' });
    }

    // GET /projects/:id/jobs/:job_id — :id is the numeric id or the URL-encoded path.
    const jobMatch = /^\/projects\/([^/]+)\/jobs\/(\d+)$/.exec(path);
    if (method === 'GET' && jobMatch) {
      const project = decodeURIComponent(jobMatch[1] ?? '');
      const job = sim.jobs.find(
        (j) =>
          j.id === Number(jobMatch[2]) &&
          (String(j.projectId) === project || j.projectPath === project),
      );
      if (!job) return notFound('Job');
      return new HttpAnswer(200, jobJson(job, t));
    }

    const traceMatch = /^\/projects\/(\d+)\/jobs\/(\d+)\/trace$/.exec(path);
    if (method === 'GET' && traceMatch) {
      const job = sim.jobs.find(
        (j) => j.id === Number(traceMatch[2]) && j.projectId === Number(traceMatch[1]),
      );
      if (!job) return notFound('Job');
      if (job.trace === null || job.status === 'pending') return new HttpAnswer(200, '');
      const runner = sim.runners.find((r) => r.id === job.runnerId);
      return new HttpAnswer(200, job.trace ?? renderTrace(job, runner));
    }
    return new HttpAnswer(404, { error: '404 Not Found' });
  }

  function runnerSummary(
    runner: SimRunner,
    sim: SimInstanceState,
    t: number,
  ): Record<string, unknown> {
    const status = runnerStatus(runner, t, sim.version);
    const body: Record<string, unknown> = {
      id: runner.id,
      description: runner.description,
      ip_address: runner.managers[0]?.ipAddress ?? null,
      active: !runner.paused,
      is_shared: runner.isShared,
      runner_type: runner.runnerType,
      name: 'gitlab-runner',
      online: status === 'online',
    };
    if (sim.version === 'current') {
      body.paused = runner.paused;
      body.status = status;
    }
    return body;
  }

  function runnerDetails(
    runner: SimRunner,
    sim: SimInstanceState,
    t: number,
  ): Record<string, unknown> {
    return {
      ...runnerSummary(runner, sim, t),
      contacted_at: iso(runner.contactedAt),
      tag_list: runner.tagList,
      version: runner.version,
      revision: runner.revision,
      platform: runner.platform,
      architecture: runner.architecture,
      maintenance_note: null,
      locked: false,
      run_untagged: runner.tagList.length === 0,
      access_level: 'not_protected',
      maximum_timeout: null,
      projects: [],
      groups: [],
    };
  }

  function jobJson(job: SimJob, t: number): Record<string, unknown> {
    const end = job.finishedAt ?? t;
    return {
      id: job.id,
      status: job.status,
      stage: job.stage,
      name: job.name,
      ref: job.ref,
      tag: false,
      coverage: null,
      allow_failure: false,
      created_at: iso(job.createdAt),
      started_at: iso(job.startedAt),
      finished_at: iso(job.finishedAt),
      duration: job.startedAt === null ? null : (end - job.startedAt) / 1000,
      queued_duration: job.startedAt === null ? null : (job.startedAt - job.createdAt) / 1000,
      user: { id: 1, username: job.username, name: job.username },
      commit: {
        id: `${job.pipelineId}`.padEnd(40, '0'),
        short_id: `${job.pipelineId}`.padEnd(8, '0'),
        title: `Change for ${job.name}`,
      },
      pipeline: {
        id: job.pipelineId,
        project_id: job.projectId,
        ref: job.ref,
        sha: ''.padEnd(40, 'a'),
        status: job.status,
      },
      project: {
        id: job.projectId,
        name: job.projectPath.split('/').pop(),
        path_with_namespace: job.projectPath,
      },
      web_url: `${base}/${job.projectPath}/-/jobs/${job.id}`,
    };
  }

  const handle = {
    state: options.state,
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const base = `http://${host}:${address.port}`;
  let closed = false;

  function paginate(items: unknown[], url: URL, sim: SimInstanceState): HttpAnswer {
    const perPage = Math.min(
      100,
      Math.max(1, Number(url.searchParams.get('per_page') ?? 20) || 20),
    );
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
    const total = items.length;
    const totalPages = Math.max(1, Math.ceil(total / perPage));
    const slice = items.slice((page - 1) * perPage, page * perPage);
    const hasNext = page * perPage < total;
    const link = (p: number) => {
      const next = new URL(url.pathname, base);
      for (const [k, v] of url.searchParams) next.searchParams.append(k, v);
      next.searchParams.set('page', String(p));
      next.searchParams.set('per_page', String(perPage));
      return next.toString();
    };
    const links: string[] = [];
    if (page > 1) links.push(`<${link(page - 1)}>; rel="prev"`);
    if (hasNext) links.push(`<${link(page + 1)}>; rel="next"`);
    links.push(`<${link(1)}>; rel="first"`);
    const headers: Record<string, string> = {
      'X-Page': String(page),
      'X-Per-Page': String(perPage),
      'X-Next-Page': hasNext ? String(page + 1) : '',
      'X-Prev-Page': page > 1 ? String(page - 1) : '',
    };
    // GitLab leaves the totals (and the `last` link) out of large sets.
    if (total <= sim.totalsLimit) {
      headers['X-Total'] = String(total);
      headers['X-Total-Pages'] = String(totalPages);
      links.push(`<${link(totalPages)}>; rel="last"`);
    }
    headers.Link = links.join(', ');
    return new HttpAnswer(200, slice as Json, headers);
  }

  const close = async () => {
    if (closed) return;
    closed = true;
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };

  return {
    url: base,
    get state() {
      return handle.state;
    },
    set state(value: SimInstanceState) {
      handle.state = value;
    },
    requests,
    counts: () => new Map(counts),
    count: (pattern?: RegExp) => {
      let n = 0;
      for (const [key, value] of counts) if (!pattern || pattern.test(key)) n += value;
      return n;
    },
    resetCounts: () => {
      counts = new Map();
      requests.length = 0;
    },
    close,
    dispose: close,
  };
}

function bodyParams(req: IncomingMessage): Record<string, unknown> {
  const text = (req as IncomingMessage & { bodyText?: string }).bodyText ?? '';
  const type = req.headers['content-type'] ?? '';
  if (text === '') return {};
  if (type.includes('application/json')) {
    try {
      const parsed: unknown = JSON.parse(text);
      return typeof parsed === 'object' && parsed !== null
        ? (parsed as Record<string, unknown>)
        : {};
    } catch {
      return {};
    }
  }
  return Object.fromEntries(new URLSearchParams(text));
}
