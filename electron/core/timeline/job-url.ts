import { RwError } from '../errors/rw-error';

/** What the check needs of a job: its id, the URL GitLab reported and its project path. */
export interface JobLink {
  jobId: number;
  jobUrl: string | null;
  projectPath: string | null;
}

/**
 * The URL of a job's page, checked to belong to its GitLab instance: http or https, the
 * instance's origin, under its base path (GitLab may live at `https://host/gitlab`), no
 * credentials, and the page of exactly this job (`…/-/jobs/<id>`). GitLab's own `web_url`
 * is preferred; without it the URL is built from the project path. Anything else is
 * refused, so a job record cannot make the host open an arbitrary page.
 */
export function checkedJobUrl(job: JobLink, instanceUrl: string): string {
  const base = new URL(instanceUrl);
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new RwError('refused', `the GitLab instance URL is not http or https`);
  }
  const basePath = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
  let candidate = job.jobUrl;
  if (candidate === null) {
    if (job.projectPath === null) {
      throw new RwError(
        'not_found',
        `job ${job.jobId} has no web URL and no project path yet; try again after the next GitLab cycle`,
      );
    }
    candidate = `${base.origin}${basePath}${job.projectPath}/-/jobs/${job.jobId}`;
  }
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    throw new RwError('refused', `job ${job.jobId}: GitLab reported a web URL that is not a URL`);
  }
  const problem =
    url.protocol !== 'http:' && url.protocol !== 'https:'
      ? 'is not http or https'
      : url.origin !== base.origin
        ? `is not on the configured instance ${base.origin}`
        : url.username !== '' || url.password !== ''
          ? 'carries credentials'
          : !url.pathname.startsWith(basePath)
            ? `is outside the instance's path ${basePath}`
            : !url.pathname.endsWith(`/-/jobs/${job.jobId}`)
              ? 'is not the page of this job'
              : null;
  if (problem !== null) {
    throw new RwError('refused', `job ${job.jobId}: its web URL ${problem}; not opened`);
  }
  url.hash = '';
  url.search = '';
  return url.href;
}
