import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { JobMetricsRequest } from '../../../shared/job-metrics';
import { jobMetricsToCsv, jobMetricsToJson } from '../../../shared/job-metrics-export';
import { isRwError } from '../../core/errors/rw-error';
import type { Runtime } from '../../core/runtime';
import { UsageError, type CliCommand } from '../command';
import { openRuntimeFromConfig } from '../open-runtime';
import { requiredString, stringOption } from '../option-values';

/** Sources whose cycle makes recent jobs and machines known to the job lookup. */
const LOOKUP_KINDS = new Set(['gitlab', 'hetzner', 'docker-machine']);

/** `job-metrics`: a job's machine metrics as CSV or JSON, from the store or Prometheus. */
export const jobMetricsCommand: CliCommand = {
  name: 'job-metrics',
  summary: "print a job's machine metrics (CPU, memory, load, disk, network) as CSV or JSON",
  usage:
    'job-metrics --config FILE --job URL|ID [--instance ID] [--format csv|json] [--output FILE]',
  options: {
    config: { type: 'string', short: 'c' },
    job: { type: 'string', short: 'j' },
    instance: { type: 'string' },
    format: { type: 'string', short: 'f' },
    output: { type: 'string', short: 'o' },
  },
  optionHelp: {
    config: 'FILE  the JSON config (see docs/cli.md)',
    job: 'URL|ID  the job: its GitLab URL, or its id',
    instance: 'ID    GitLab instance (settings id) of a bare job id',
    format: 'csv|json  output format (default csv)',
    output: 'FILE  write there instead of standard output',
  },
  details:
    'Answers from the local store when the job was saved (also after Prometheus dropped it);\n' +
    'otherwise finds the job (recent jobs of the configured GitLab instances, or its URL), its\n' +
    "machine from the trace and queries the machine's Prometheus. A finished job is saved.\n" +
    'Exit 0 with the metrics, 2 when the job or its metrics cannot be found.',
  async run(context, args) {
    const config = requiredString(args, 'config', 'FILE');
    const format = stringOption(args, 'format') ?? 'csv';
    if (format !== 'csv' && format !== 'json')
      throw new UsageError(`--format must be csv or json, got "${format}"`);
    const instance = stringOption(args, 'instance');
    const parsed = JobMetricsRequest.safeParse({
      job: requiredString(args, 'job', 'URL|ID'),
      ...(instance ? { instance } : {}),
    });
    if (!parsed.success)
      throw new UsageError(`--job: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    const output = stringOption(args, 'output');
    const { runtime } = await openRuntimeFromConfig(context, { configPath: config, host: 'cli' });
    try {
      const metrics = await getWithLookup(runtime, parsed.data, context.signal);
      for (const warning of metrics.warnings) context.err(`warning: ${warning}`);
      if (metrics.origin === 'store') context.err('from the local store (saved earlier)');
      else if (metrics.savedAt === null)
        context.err('the job still runs: these metrics are not saved yet');
      const text = format === 'csv' ? jobMetricsToCsv(metrics) : jobMetricsToJson(metrics);
      if (output) await writeFile(resolve(context.cwd, output), text);
      else context.out(text.replace(/\r?\n$/, ''));
      return 0;
    } finally {
      await runtime.dispose();
    }
  },
};

/**
 * A stored job or a job URL needs no cycle; a bare id of a job not stored needs the
 * GitLab sources' recent jobs (and the inventory's machines), so they run once first.
 */
async function getWithLookup(
  runtime: Runtime,
  request: JobMetricsRequest,
  signal: AbortSignal,
): ReturnType<Runtime['jobMetrics']['get']> {
  try {
    return await runtime.jobMetrics.get(request, signal);
  } catch (error) {
    if (!isRwError(error) || error.code !== 'not_found') throw error;
    const ids = runtime.engine
      .snapshot()
      .sources.filter((s) => LOOKUP_KINDS.has(s.kind))
      .map((s) => s.id);
    if (ids.length === 0) throw error;
    await Promise.all(ids.map((id) => runtime.engine.refresh(id)));
    return runtime.jobMetrics.get(request, signal);
  }
}
