import type { FleetCounters } from '../../../../shared/runner-metrics';
import type { RunnerMetricsSettings } from '../../../../shared/settings';
import { RwError } from '../../errors/rw-error';
import { authorizationHeader, type SecretLookup } from '../prometheus/http-auth';
import type { CollectResult, Source } from '../source';
import { parseTextFormat, type TextSample } from './text-format';

/** Largest metrics page read; a runner's is a few hundred KiB at most. */
const MAX_BYTES = 8 * 1024 * 1024;

/** What `createRunnerMetricsSource` needs; `fetch` and the clock are injectable. */
export interface RunnerMetricsSourceOptions {
  entry: RunnerMetricsSettings;
  secrets: SecretLookup;
  fetch?: typeof fetch;
  now?: () => number;
}

/** The fleet counters in a runner's metrics. */
export function countersFrom(
  samples: readonly TextSample[],
  base: Omit<FleetCounters, 'jobs' | 'concurrent' | 'machines'>,
): FleetCounters {
  let jobs: number | null = null;
  let concurrent: number | null = null;
  let machines: Record<string, number> | null = null;
  for (const s of samples) {
    if (!Number.isFinite(s.value) || s.value < 0) continue;
    if (s.name === 'gitlab_runner_jobs') jobs = (jobs ?? 0) + s.value;
    else if (s.name === 'gitlab_runner_concurrent') concurrent = Math.max(concurrent ?? 0, s.value);
    else if (s.name === 'gitlab_runner_autoscaling_machine_states') {
      const state = s.labels.state ?? 'unknown';
      machines ??= {};
      machines[state] = (machines[state] ?? 0) + s.value;
    }
  }
  return { ...base, jobs, concurrent, machines };
}

/**
 * A GitLab Runner's own metrics endpoint as a source of fleet counters (phase `probe`:
 * it adds nothing to machines). A page without any `gitlab_runner_*` figure is a warning
 * (the URL may point at another exporter); an answer that is not the text format fails.
 */
export function createRunnerMetricsSource(options: RunnerMetricsSourceOptions): Source {
  const { entry } = options;
  const fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const now = options.now ?? Date.now;
  const host = new URL(entry.url).host;
  const label = `GitLab Runner metrics ${host} (${entry.fleet})`;
  return {
    id: `runner-metrics:${entry.id}`,
    kind: 'prometheus',
    label,
    phase: 'probe',
    intervalMs: entry.intervalSec * 1000,
    timeoutMs: entry.timeoutSec * 1000,
    async collect(signal): Promise<CollectResult> {
      const authorization = await authorizationHeader(entry.auth, options.secrets);
      signal.throwIfAborted();
      let response: Response;
      let text: string;
      try {
        response = await fetchFn(entry.url, {
          headers: { accept: 'text/plain', ...(authorization ? { authorization } : {}) },
          redirect: 'manual',
          signal,
        });
        text = await response.text();
      } catch (error) {
        signal.throwIfAborted();
        const code = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
        throw new RwError(
          'unreachable',
          `${label}: cannot reach ${entry.url} (${typeof code === 'string' ? code : 'network error'})`,
          { cause: error },
        );
      }
      if (response.status === 401 || response.status === 403)
        throw new RwError('unauthorized', `${label}: HTTP ${response.status}, check "auth"`);
      if (response.status !== 200)
        throw new RwError('remote_error', `${label}: HTTP ${response.status} from ${entry.url}`);
      if (text.length > MAX_BYTES)
        throw new RwError('bad_response', `${label}: the metrics page is over ${MAX_BYTES} bytes`);
      let samples: TextSample[];
      try {
        samples = parseTextFormat(text);
      } catch (error) {
        throw new RwError(
          'bad_response',
          `${label}: not Prometheus text format (${error instanceof Error ? error.message : String(error)})`,
        );
      }
      const counters = countersFrom(samples, {
        source: `runner-metrics:${entry.id}`,
        fleet: entry.fleet,
        label: host,
        observedAt: now(),
      });
      const warnings =
        counters.jobs === null && counters.machines === null && counters.concurrent === null
          ? [
              `${label}: no gitlab_runner_* metrics on this page: is it the runner's listen_address?`,
            ]
          : [];
      return { machines: [], counters: [counters], ...(warnings.length ? { warnings } : {}) };
    },
  };
}
