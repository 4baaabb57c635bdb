import { mkdir, readdir, readFile, stat, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { JobMetrics } from '../../../shared/job-metrics';
import { writeFileAtomic } from '../config/atomic-file';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);
const SUFFIX = '.json.gz';

/** What the store needs: its folder and size bound. */
export interface JobMetricsStoreOptions {
  dir: string;
  maxBytes: number;
  now?: () => number;
}

/**
 * Finished jobs' metrics on disk, one gzip'd JSON file per job
 * (`<instance>~<job id>.json.gz`), so they outlive Prometheus' retention. The folder is
 * kept under `maxBytes`: after each save the least recently used files go first (a read
 * counts as use: it touches the file's mtime).
 */
export class JobMetricsStore {
  constructor(private readonly options: JobMetricsStoreOptions) {}

  /** The saved metrics of a job, or null; a file that no longer parses counts as absent. */
  async get(instance: string, jobId: number): Promise<JobMetrics | null> {
    return this.readFile(this.fileOf(instance, jobId));
  }

  /** Saved metrics of a job id under any instance (for a bare id), newest use first. */
  async findById(jobId: number): Promise<JobMetrics[]> {
    const files = (await this.list()).filter((f) => f.name.endsWith(`~${jobId}${SUFFIX}`));
    const out: JobMetrics[] = [];
    for (const file of files) {
      const metrics = await this.readFile(file.path);
      if (metrics) out.push(metrics);
    }
    return out;
  }

  /** Saves (replaces) a job's metrics, then evicts least recently used files past the bound. */
  async save(metrics: JobMetrics): Promise<void> {
    await mkdir(this.options.dir, { recursive: true, mode: 0o700 });
    const target = this.fileOf(metrics.job.instance, metrics.job.jobId);
    const body = await gzipAsync(Buffer.from(JSON.stringify(JobMetrics.parse(metrics))));
    // Atomic: a crash or a full disk leaves the previous file (or none), never half a gzip.
    await writeFileAtomic(target, body, { mode: 0o600, forceMode: true });
    await this.evict(target);
  }

  /** Bytes the store holds now. */
  async size(): Promise<number> {
    return (await this.list()).reduce((sum, f) => sum + f.size, 0);
  }

  private fileOf(instance: string, jobId: number): string {
    if (!/^[a-z0-9][a-z0-9._-]*$/i.test(instance))
      throw new RangeError(`instance id ${JSON.stringify(instance)} is not a settings id`);
    return join(this.options.dir, `${instance}~${jobId}${SUFFIX}`);
  }

  private async readFile(path: string): Promise<JobMetrics | null> {
    let raw: Buffer;
    try {
      raw = await readFile(path);
    } catch {
      return null;
    }
    try {
      const parsed = JobMetrics.safeParse(JSON.parse((await gunzipAsync(raw)).toString('utf8')));
      if (!parsed.success) return null;
      const now = new Date(this.options.now?.() ?? Date.now());
      await utimes(path, now, now).catch(() => undefined);
      return parsed.data;
    } catch {
      return null;
    }
  }

  private async list(): Promise<{ name: string; path: string; size: number; mtimeMs: number }[]> {
    let names: string[];
    try {
      names = await readdir(this.options.dir);
    } catch {
      return [];
    }
    const out: { name: string; path: string; size: number; mtimeMs: number }[] = [];
    for (const name of names) {
      if (!name.endsWith(SUFFIX)) continue;
      const path = join(this.options.dir, name);
      try {
        const st = await stat(path);
        out.push({ name, path, size: st.size, mtimeMs: st.mtimeMs });
      } catch {
        // removed meanwhile
      }
    }
    return out;
  }

  private async evict(keep: string): Promise<void> {
    const files = (await this.list()).sort((a, b) => a.mtimeMs - b.mtimeMs);
    let total = files.reduce((sum, f) => sum + f.size, 0);
    for (const file of files) {
      if (total <= this.options.maxBytes) break;
      // The file just saved stays even when it alone is over the bound.
      if (file.path === keep) continue;
      await unlink(file.path).catch(() => undefined);
      total -= file.size;
    }
  }
}
