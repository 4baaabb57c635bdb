// An in-process stand-in for Hetzner, GitLab and Prometheus behind `fetch`, for
// bench/memory.ts: the core's real clients, parsers, caches and services run, but no
// sockets and no simulator share the measured process beyond this small world (1,000
// VMs, 60 runners, jobs arriving at 50,000 per 24 h, pruned after 7 h).
import { fleetQueries } from '../../electron/core/sources/prometheus/fleet-read';
import type { PrometheusSettings } from '../../shared/settings';

const HOUR = 3_600_000;

interface WorldJob {
  id: number;
  runner: number;
  machine: number;
  project: number;
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  failed: boolean;
}

/** The world's shape. */
export interface WorldOptions {
  machines: number;
  runners: number;
  jobsPerDay: number;
  start: number;
}

const iso = (ms: number) => new Date(ms).toISOString();
const json = (body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status: 200,
    headers: { 'content-type': 'application/json', ...headers },
  });

/** The fake world and its `fetch`; `now` is the scenario clock. */
export class MemoryWorld {
  private readonly jobs: WorldJob[] = [];
  private nextJob = 1;
  private generatedTo: number;
  private readonly names: string[];
  requests = 0;

  constructor(
    private readonly options: WorldOptions,
    private readonly now: () => number,
  ) {
    this.generatedTo = options.start - 7 * HOUR;
    this.names = Array.from(
      { length: options.machines },
      (_, i) =>
        `runner-x1y2z3w4-auto-scale-${1_700_000_000 + i}-${i.toString(16).padStart(8, '0')}`,
    );
  }

  /** Name of machine i. */
  name(i: number): string {
    return this.names[i] ?? 'none';
  }

  /** Jobs up to now exist; those finished over 7 h ago are forgotten. */
  advance(): void {
    const now = this.now();
    const gap = (24 * HOUR) / this.options.jobsPerDay;
    while (this.generatedTo + gap <= now) {
      this.generatedTo += gap;
      const id = this.nextJob++;
      const created = this.generatedTo;
      // 8–12 minutes of work after a 5–30 s wait: ~300 jobs running at any time.
      const started = created + 5_000 + (id % 6) * 5_000;
      this.jobs.push({
        id,
        runner: 1 + (id % this.options.runners),
        machine: (id * 7919) % this.options.machines,
        project: 40 + (id % 25),
        createdAt: created,
        startedAt: started,
        finishedAt: started + 8 * 60_000 + (id % 5) * 60_000,
        failed: id % 17 === 0,
      });
    }
    const horizon = now - 7 * HOUR;
    let drop = 0;
    while (drop < this.jobs.length && (this.jobs[drop]?.finishedAt ?? now) < horizon) drop++;
    if (drop > 0) this.jobs.splice(0, drop);
  }

  /** Disk use of machine i now: a slow saw between 20 and 75 %, its own phase. */
  diskPct(i: number): number {
    const phase = (this.now() / 60_000 + i * 37) % 600;
    return 20 + (phase / 600) * 55;
  }

  readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    void init;
    this.requests += 1;
    const url = new URL(
      typeof input === 'string' ? input : input instanceof URL ? input : input.url,
    );
    if (url.hostname === '127.0.9.1') return this.hetzner(url);
    if (url.hostname === '127.0.9.2') return this.gitlab(url);
    if (url.hostname === '127.0.9.3') return this.prometheus(url);
    return new Response('not found', { status: 404 });
  };

  private hetzner(url: URL): Response {
    if (url.pathname !== '/v1/servers') return json({ error: { code: 'not_found', message: 'x' } });
    const page = Number(url.searchParams.get('page') ?? 1);
    const per = Number(url.searchParams.get('per_page') ?? 25);
    const last = Math.ceil(this.options.machines / per);
    const servers = [];
    for (let i = (page - 1) * per; i < Math.min(page * per, this.options.machines); i++)
      servers.push({
        id: 1_000_000 + i,
        name: this.name(i),
        status: 'running',
        created: iso(this.options.start - 2 * HOUR),
        labels: { role: 'ci-runner' },
        // No address: the SSH probe leaves these VMs to Prometheus (no sockets in this bench).
        public_net: { ipv4: null },
        private_net: [],
        server_type: { name: 'cx22', cores: 2, memory: 4, disk: 40 },
        datacenter: { name: 'fsn1-dc14', location: { name: 'fsn1' } },
        protection: { delete: false, rebuild: false },
      });
    return json({
      servers,
      meta: {
        pagination: {
          page,
          per_page: per,
          previous_page: page > 1 ? page - 1 : null,
          next_page: page < last ? page + 1 : null,
          last_page: last,
          total_entries: this.options.machines,
        },
      },
    });
  }

  private jobJson(job: WorldJob, now: number) {
    const status =
      now < job.startedAt
        ? 'pending'
        : now < job.finishedAt
          ? 'running'
          : job.failed
            ? 'failed'
            : 'success';
    const done = status === 'success' || status === 'failed';
    return {
      id: job.id,
      status,
      stage: 'test',
      name: `test:${job.id % 9}`,
      ref: 'main',
      created_at: iso(job.createdAt),
      started_at: now < job.startedAt ? null : iso(job.startedAt),
      finished_at: done ? iso(job.finishedAt) : null,
      duration: done ? (job.finishedAt - job.startedAt) / 1000 : null,
      queued_duration: (job.startedAt - job.createdAt) / 1000,
      tag_list: ['docker', 'hetzner'],
      user: { username: 'dev' },
      pipeline: { id: 90_000 + Math.floor(job.id / 4), project_id: job.project },
      project: { id: job.project, path_with_namespace: `group/project-${job.project}` },
      web_url: `http://127.0.9.2/group/project-${job.project}/-/jobs/${job.id}`,
    };
  }

  private gitlab(url: URL): Response {
    const now = this.now();
    const path = url.pathname.replace(/^\/api\/v4/, '');
    const runner = (id: number) => ({
      id,
      description: `autoscale-${id}`,
      paused: false,
      is_shared: true,
      runner_type: 'instance_type',
      online: true,
      status: 'online',
      contacted_at: iso(now - 5_000),
      tag_list: ['docker', 'hetzner'],
      version: '17.5.0',
      platform: 'linux',
      architecture: 'amd64',
    });
    if (path === '/personal_access_tokens/self')
      return json({ id: 1, name: 'bench', scopes: ['api'], active: true, revoked: false });
    if (path === '/user') return json({ id: 1, username: 'root', is_admin: true });
    if (path === '/runners/all')
      return json(
        Array.from({ length: this.options.runners }, (_, i) => runner(i + 1)),
        {
          'x-page': '1',
          'x-per-page': '100',
          'x-next-page': '',
          'x-total': String(this.options.runners),
          'x-total-pages': '1',
        },
      );
    let m = /^\/runners\/(\d+)$/.exec(path);
    if (m) return json(runner(Number(m[1])));
    m = /^\/runners\/(\d+)\/managers$/.exec(path);
    if (m)
      return json(
        [
          {
            id: Number(m[1]),
            system_id: `s_${Number(m[1]).toString(16).padStart(12, '0')}`,
            version: '17.5.0',
            platform: 'linux',
            architecture: 'amd64',
            ip_address: '127.0.10.1',
            created_at: iso(this.options.start - 30 * 24 * HOUR),
            contacted_at: iso(now - 5_000),
            status: 'online',
          },
        ],
        { 'x-next-page': '' },
      );
    m = /^\/runners\/(\d+)\/jobs$/.exec(path);
    if (m) {
      const id = Number(m[1]);
      const mine = this.jobs.filter((j) => j.runner === id && j.createdAt <= now);
      if (url.searchParams.get('status') === 'running') {
        const running = mine.filter((j) => j.startedAt <= now && now < j.finishedAt);
        return json(
          running.map((j) => this.jobJson(j, now)),
          { 'x-next-page': '' },
        );
      }
      const page = Number(url.searchParams.get('page') ?? 1);
      const per = Number(url.searchParams.get('per_page') ?? 20);
      mine.reverse();
      const slice = mine.slice((page - 1) * per, page * per);
      return json(
        slice.map((j) => this.jobJson(j, now)),
        { 'x-next-page': page * per < mine.length ? String(page + 1) : '' },
      );
    }
    m = /^\/projects\/(\d+)\/jobs\/(\d+)\/trace$/.exec(path);
    if (m) {
      const job = this.jobs.find((j) => j.id === Number(m?.[2]));
      if (!job) return new Response('', { status: 404 });
      return new Response(
        `Running with gitlab-runner 17.5.0 (a1b2c3d4)\nRunning on runner-${job.id}-project-${job.project}-concurrent-0 via ${this.name(job.machine)}...\n`,
        { status: 200, headers: { 'content-type': 'text/plain' } },
      );
    }
    return json({ message: '404 Not Found' });
  }

  private prometheus(url: URL): Response {
    const now = this.now();
    const query = url.searchParams.get('query') ?? '';
    const prom = { machineLabel: 'machine', matchers: undefined } as unknown as PrometheusSettings;
    const q = fleetQueries(prom, ['/']);
    const t = now / 1000;
    const result: { metric: Record<string, string>; value: [number, string] }[] = [];
    for (let i = 0; i < this.options.machines; i++) {
      const machine = this.name(i);
      if (query === q.filesystems) {
        const size = 80e9;
        const avail = size * (1 - this.diskPct(i) / 100);
        for (const [name, v] of [
          ['node_filesystem_size_bytes', size],
          ['node_filesystem_free_bytes', avail + 4e9],
          ['node_filesystem_avail_bytes', avail],
          ['node_filesystem_files', 5e6],
          ['node_filesystem_files_free', 4.8e6],
        ] as const)
          result.push({
            metric: {
              __name__: name,
              machine,
              mountpoint: '/',
              device: '/dev/sda1',
              fstype: 'ext4',
            },
            value: [t, String(Math.round(v))],
          });
      } else if (query === q.node) {
        for (const [name, v] of [
          ['node_load1', 0.5 + (i % 4) / 4],
          ['node_load5', 0.5],
          ['node_load15', 0.4],
          ['node_memory_MemTotal_bytes', 4e9],
          ['node_memory_MemAvailable_bytes', 2e9],
        ] as const)
          result.push({ metric: { __name__: name, machine }, value: [t, String(v)] });
      } else if (query === q.cpus) {
        result.push({ metric: { machine }, value: [t, '2'] });
      } else if (query === q.up) {
        result.push({ metric: { __name__: 'up', machine, job: 'node' }, value: [t, '1'] });
      } else if (query === q.scrapedAt) {
        result.push({ metric: { machine }, value: [t, String(t - 5)] });
      }
    }
    return json({ status: 'success', data: { resultType: 'vector', result } });
  }
}
