import type { PrometheusSettings, Settings } from '../../../../shared/settings';
import type { CollectContext, CollectResult, Source } from '../source';
import { PrometheusClient } from './client';
import { fleetQueries, readFleet, type FleetAnswers, type FleetQueries } from './fleet-read';
import { authorizationHeader, type SecretLookup } from './http-auth';

/** What `createPrometheusSource` needs; `fetch` is injectable for tests. */
export interface PrometheusSourceOptions {
  settings: Settings;
  prom: PrometheusSettings;
  secrets: SecretLookup;
  fetch?: typeof fetch;
}

/** A client for one configured Prometheus server, credentials resolved on each call. */
export function prometheusClient(
  prom: PrometheusSettings,
  secrets: SecretLookup,
  fetchFn?: typeof fetch,
): PrometheusClient {
  return new PrometheusClient({
    url: prom.url,
    label: `Prometheus ${prom.id}`,
    authorization: () => authorizationHeader(prom.auth, secrets),
    timeoutMs: prom.timeoutSec * 1000,
    ...(fetchFn ? { fetch: fetchFn } : {}),
  });
}

/**
 * The Prometheus source of one fleet (phase `probe`: it maps series onto the machines the
 * inventories found). Each cycle runs one instant query per group of metrics for the
 * whole fleet, whatever its size, and reports disks (df's used %), inodes, load and
 * memory with the scrape time. It never reports jobs: Prometheus knows nothing of them,
 * so it can never make a machine look idle. A query Prometheus refuses, or a server that
 * does not answer, fails the cycle with that error; an empty answer is a warning.
 */
export function createPrometheusSource(options: PrometheusSourceOptions): Source {
  const { prom, settings } = options;
  const fleet = settings.fleets.find((f) => f.id === prom.fleet);
  if (!fleet) throw new Error(`prometheus ${prom.id}: fleet ${prom.fleet} is not configured`);
  const client = prometheusClient(prom, options.secrets, options.fetch);
  const queries = fleetQueries(prom, fleet.watchedMounts);
  return {
    id: `prometheus:${prom.id}`,
    kind: 'prometheus',
    label: `Prometheus ${new URL(prom.url).host} (${prom.fleet})`,
    phase: 'probe',
    intervalMs: prom.intervalSec * 1000,
    // Five queries run at once; each has its own timeout.
    timeoutMs: prom.timeoutSec * 1000 + 2_000,
    async collect(signal: AbortSignal, context: CollectContext): Promise<CollectResult> {
      const keys = Object.keys(queries) as (keyof FleetQueries)[];
      const results = await Promise.all(keys.map((key) => client.query(queries[key], signal)));
      signal.throwIfAborted();
      const answers = Object.fromEntries(
        keys.map((key, i) => [key, results[i] ?? []]),
      ) as FleetAnswers;
      const reading = readFleet(answers, fleet, prom, context.machines());
      return {
        machines: reading.machines,
        ...(reading.warnings.length > 0 ? { warnings: reading.warnings } : {}),
      };
    },
  };
}
