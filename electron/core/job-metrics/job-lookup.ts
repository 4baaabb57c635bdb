import type { JobMetricsRequest } from '../../../shared/job-metrics';
import type { RunnerJob } from '../../../shared/runner';
import type { GitLabSettings } from '../../../shared/settings';
import { RwError } from '../errors/rw-error';
import { isGitLabError } from '../sources/gitlab/errors';
import type { GitLabSource } from '../sources/gitlab/gitlab-source';
import type { JobJson } from '../sources/gitlab/schemas';
import { parseTraceHead } from '../sources/gitlab/trace';
import { tracePhases } from './trace-phases';
import type { JobPhase } from '../../../shared/job-metrics';

/** A job as the request names it. */
export interface JobRef {
  /** Settings id of the GitLab instance; null for a bare id. */
  instance: string | null;
  jobId: number;
  /** From a URL: the project's path, which lets the job be read from GitLab directly. */
  projectPath: string | null;
}

/** Bytes of a trace read for its section markers; a longer trace loses its last phases. */
export const TRACE_MAX_BYTES = 4 * 1024 * 1024;

/**
 * Reads the request: a bare id, or a URL `<instance URL>/<project path>/-/jobs/<id>` of a
 * configured instance (matched by origin and path prefix, so GitLab under a sub-path works).
 */
export function parseJobRef(
  request: JobMetricsRequest,
  instances: readonly GitLabSettings[],
): JobRef {
  const text = request.job.trim();
  if (/^\d+$/.test(text)) {
    const jobId = Number(text);
    if (!Number.isSafeInteger(jobId) || jobId <= 0)
      throw new RwError('bad_input', `job id ${text} is out of range`);
    return { instance: request.instance ?? null, jobId, projectPath: null };
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RwError(
      'bad_input',
      'give a job id or a job URL like https://gitlab.example.com/group/project/-/jobs/123',
    );
  }
  for (const instance of instances) {
    const base = new URL(instance.url);
    const prefix = base.pathname.replace(/\/+$/, '');
    if (base.origin !== url.origin || !url.pathname.startsWith(`${prefix}/`)) continue;
    const rest = url.pathname.slice(prefix.length + 1);
    const match = /^(.+?)\/-\/jobs\/(\d+)\/?$/.exec(rest);
    if (!match?.[1] || !match[2]) break;
    return {
      instance: instance.id,
      jobId: Number(match[2]),
      projectPath: decodeURIComponent(match[1]),
    };
  }
  const known = instances.map((i) => i.url).join(', ') || 'none';
  throw new RwError(
    'not_found',
    `${url.origin}${url.pathname} is not a job URL of a configured GitLab instance (configured: ${known})`,
  );
}

/** A job found in GitLab, with its machine and phases from the trace. */
export interface FoundJob {
  job: RunnerJob;
  machine: string;
  phases: JobPhase[];
}

/**
 * Finds the job: in the GitLab sources' recent jobs first, else (for a URL) with
 * `GET /projects/:path/jobs/:id`; then reads its trace (at most TRACE_MAX_BYTES) for the
 * machine (`Running on … via <machine>`) and the section times.
 */
export async function findJob(
  ref: JobRef,
  sources: readonly GitLabSource[],
  signal: AbortSignal,
): Promise<FoundJob> {
  const candidates = ref.instance ? sources.filter((s) => s.instance === ref.instance) : sources;
  if (ref.instance && candidates.length === 0)
    throw new RwError('not_found', `no GitLab instance with id "${ref.instance}" is configured`);
  if (candidates.length === 0)
    throw new RwError('not_found', 'no GitLab instance is configured: jobs cannot be looked up');
  let job: RunnerJob | null = null;
  let source: GitLabSource | null = null;
  for (const candidate of candidates) {
    const hit = candidate.timeline().find((j) => j.jobId === ref.jobId);
    if (hit) {
      job = hit;
      source = candidate;
      break;
    }
  }
  if (!job && ref.projectPath && candidates[0]) {
    source = candidates[0];
    const client = await source.readyClient();
    let json: JobJson;
    try {
      json = await client.job(ref.projectPath, ref.jobId, signal);
    } catch (error) {
      if (isGitLabError(error) && error.status === 404)
        throw new RwError(
          'not_found',
          `${client.label}: job ${ref.jobId} of ${ref.projectPath} does not exist (or the token cannot see it)`,
        );
      throw error;
    }
    job = fromJson(json, source.instance);
  }
  if (!job || !source) {
    throw new RwError(
      'not_found',
      `job ${ref.jobId} is not among the recent jobs of ${candidates.map((s) => s.instance).join(', ')}: give its URL`,
    );
  }
  if (job.projectId === null)
    throw new RwError(
      'not_found',
      `job ${job.jobId}: GitLab did not say which project it belongs to`,
    );
  const client = await source.readyClient();
  const trace = await client.traceHead(job.projectId, job.jobId, TRACE_MAX_BYTES, signal);
  const machine = job.machine ?? parseTraceHead(trace.text)?.machine ?? null;
  if (!machine) {
    throw new RwError(
      'not_found',
      `job ${job.jobId}: its trace names no machine (no "Running on … via <machine>" line yet)`,
    );
  }
  return { job: { ...job, machine }, machine, phases: tracePhases(trace.text) };
}

function fromJson(json: JobJson, instance: string): RunnerJob {
  return {
    key: `${instance}/${json.id}`,
    instance,
    jobId: json.id,
    runnerId: 0,
    status: json.status,
    name: json.name ?? null,
    projectId: json.project?.id ?? json.pipeline?.project_id ?? null,
    projectPath: json.project?.path_with_namespace ?? null,
    pipelineId: json.pipeline?.id ?? null,
    ref: json.ref ?? null,
    user: json.user?.username ?? null,
    jobUrl: json.web_url ?? null,
    createdAt: json.created_at ?? null,
    startedAt: json.started_at ?? null,
    finishedAt: json.finished_at ?? null,
    machine: null,
  };
}
