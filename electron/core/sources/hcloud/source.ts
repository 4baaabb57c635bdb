import type { MachineState } from '../../../../shared/machine';
import type { HetznerSettings, SecretRef } from '../../../../shared/settings';
import { redactor } from '../../errors/redact';
import type { CollectResult, MachineIdentity, MachineObservation, Source } from '../source';
import { HcloudClient, PER_PAGE, type HcloudServer } from './client';
import { throttleDelayMs } from './rate-limit';

/** Resolves a secret reference (the runtime's `SecretResolver` fits). */
export interface SecretLookup {
  resolve(ref: SecretRef): Promise<string>;
}

/** What `createHcloudSource` needs. `fetch` is injectable for tests. */
export interface HcloudSourceOptions {
  settings: HetznerSettings;
  secrets: SecretLookup;
  fetch?: typeof fetch;
  now?: () => number;
  /**
   * Kind of the fleet the project's servers belong to (`fleets[].kind`). The policy reads
   * the fleet's kind itself; this only keeps the Fleet view from calling a dedicated
   * fleet's servers autoscaled.
   */
  fleetKind?: MachineIdentity['kind'];
  /**
   * Which address comes first (the one the probe dials): `private` for a docker-autoscaler
   * fleet whose connector has `use_external_addr = false`; default public first.
   */
  address?: 'public' | 'private';
}

/** Hetzner's status word → the contract's normalised state. */
export function normaliseHcloudStatus(status: string): MachineState {
  switch (status) {
    case 'running':
      return 'running';
    case 'initializing':
    case 'starting':
    // Migrating and rebuilding servers are briefly unreachable, like starting ones.
    case 'migrating':
    case 'rebuilding':
      return 'starting';
    case 'stopping':
      return 'stopping';
    case 'off':
      return 'off';
    case 'deleting':
      return 'deleting';
    default:
      return 'unknown';
  }
}

/**
 * The identity of a Hetzner server: addresses are the public IPv4 first, then private IPs
 * (`address: 'private'`: the private IPs first, as a fleeting connector with
 * `use_external_addr = false` dials `private_net[0].ip`; the public IP stays as fallback).
 */
export function hcloudIdentity(
  server: HcloudServer,
  kind: MachineIdentity['kind'] = 'autoscaled',
  address: 'public' | 'private' = 'public',
): MachineIdentity {
  const publicIp = server.public_net?.ipv4?.ip;
  const ordered =
    address === 'private'
      ? [...server.private_net.map((n) => n.ip), publicIp]
      : [publicIp, ...server.private_net.map((n) => n.ip)];
  const addresses: string[] = [];
  for (const ip of ordered) if (ip && !addresses.includes(ip)) addresses.push(ip);
  return {
    kind,
    provider: 'hetzner',
    providerId: String(server.id),
    serverType: server.server_type.name,
    location: server.datacenter?.location?.name ?? null,
    createdAt: server.created,
    labels: { ...server.labels },
    addresses,
    providerStatus: server.status,
    state: normaliseHcloudStatus(server.status),
    // Unknown (field missing) stays unknown: the policy never deletes such a server.
    deleteProtected: server.protection ? server.protection.delete : null,
  };
}

/**
 * The inventory source of one Hetzner project: lists the project's servers (label
 * selector and/or name prefix, every page) and reports them as the complete inventory of
 * the project's fleet, so a server the provider no longer lists is marked gone.
 * The token is resolved on first use and registered with the redactor.
 */
export function createHcloudSource(
  options: HcloudSourceOptions,
): Source & { client(): Promise<HcloudClient> } {
  const { settings } = options;
  let client: Promise<HcloudClient> | null = null;
  const getClient = (): Promise<HcloudClient> => {
    client ??= options.secrets.resolve(settings.token).then((token) => {
      redactor.register(token);
      return new HcloudClient({
        apiUrl: settings.apiUrl,
        token,
        project: settings.id,
        timeoutMs: settings.timeoutSec * 1000,
        ...(options.fetch ? { fetch: options.fetch } : {}),
        ...(options.now ? { now: options.now } : {}),
      });
    });
    // A failed lookup (unset variable) is retried on the next cycle, not cached.
    client.catch(() => {
      client = null;
    });
    return client;
  };
  const filters = [
    settings.labelSelector ? `label ${settings.labelSelector}` : null,
    settings.namePrefix ? `name ${settings.namePrefix}*` : null,
  ].filter((f) => f !== null);
  return {
    id: `hetzner:${settings.id}`,
    kind: 'hetzner',
    label: `Hetzner ${settings.id}${filters.length ? ` (${filters.join(', ')})` : ''}`,
    phase: 'inventory',
    intervalMs: settings.intervalSec * 1000,
    // Several pages, each with its own per-request timeout, fit in one collection.
    timeoutMs: settings.timeoutSec * 1000 * 4,
    client: getClient,
    async collect(signal): Promise<CollectResult> {
      const api = await getClient();
      signal.throwIfAborted();
      const servers = await api.listServers(
        {
          ...(settings.labelSelector ? { labelSelector: settings.labelSelector } : {}),
          ...(settings.namePrefix ? { namePrefix: settings.namePrefix } : {}),
        },
        signal,
      );
      const machines: MachineObservation[] = servers.map((server) => ({
        fleet: settings.fleet,
        name: server.name,
        identity: hcloudIdentity(server, options.fleetKind, options.address),
      }));
      // When the budget runs low, ask the engine to space the next cycle so that its
      // pages fit the refill rate (one call per throttle interval) instead of hitting 429.
      const pace = throttleDelayMs(api.rateLimit, (options.now ?? Date.now)());
      const pages = Math.max(1, Math.ceil(servers.length / PER_PAGE));
      const wait = pace * pages;
      return {
        machines,
        inventoryOf: [settings.fleet],
        ...(wait > settings.intervalSec * 1000 ? { retryAfterMs: wait } : {}),
      };
    },
  };
}
