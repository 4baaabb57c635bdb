import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { CostReport } from '../../../shared/cost';
import type { Machine } from '../../../shared/machine';
import type { RunnerJob } from '../../../shared/runner';
import type { CostSettings } from '../../../shared/settings';
import { writeFileAtomic } from '../config/atomic-file';
import { redactor } from '../errors/redact';
import type { Disposable } from '../lifecycle';
import type { HcloudServerType } from '../sources/hcloud/client';
import { fleetCosts, machineCosts, machinePrice, type PriceBooks } from './fleet-cost';
import { jobCosts, projectCosts, type HourlyPrice } from './job-cost';
import { priceBookFrom, type PriceBook } from './price-book';

/** A Hetzner project whose price list the service reads (the Hetzner source fits). */
export interface PriceSource {
  /** Source id, as in `Machine.seenBy` (`hetzner:<project>`). */
  readonly id: string;
  client(): Promise<{ getServerTypes(signal?: AbortSignal): Promise<HcloudServerType[]> }>;
}

/** What the service reads: the fleet as the engine knows it and the GitLab sources' jobs. */
export interface CostInputs {
  machines(): readonly Machine[];
  jobs(): readonly RunnerJob[];
}

export interface CostServiceOptions {
  settings: CostSettings;
  sources: readonly PriceSource[];
  inputs: CostInputs;
  /** Where price lists are cached between runs (the state dir); none: memory only. */
  cacheDir?: string;
  now?: () => number;
}

/** Prices change rarely: Hetzner's list is read once a day per project. */
export const PRICE_TTL_MS = 24 * 3_600_000;
/** Machines remembered after they are gone, so jobs that ran on deleted VMs keep a price. */
const REMEMBERED_MACHINES = 10_000;

const CachedPrices = z.object({
  fetchedAt: z.number().int().nonnegative(),
  types: z.array(
    z.object({
      name: z.string(),
      prices: z.array(
        z.object({
          location: z.string(),
          price_hourly: z.object({ net: z.string(), gross: z.string() }),
        }),
      ),
    }),
  ),
});

/**
 * Fleet and job cost. Prices come from each Hetzner project's `GET /server_types`, cached
 * for a day in memory and in the state dir; the machines a job ran on are remembered after
 * they are gone (their type and location do not change), so the cost of jobs on deleted
 * VMs stays known. A project whose price list cannot be read is named in the warnings;
 * its machines are unpriced, never priced at 0.
 */
export class CostService implements Disposable {
  private readonly books = new Map<string, PriceBook>();
  private readonly failures = new Map<string, { at: number; message: string }>();
  private readonly remembered = new Map<string, Machine>();
  private readonly now: () => number;
  private readonly abort = new AbortController();
  /** Why the last price cache write failed, for the report's warnings; null when it worked. */
  private cacheProblem: string | null = null;

  constructor(private readonly options: CostServiceOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Cost now and of the jobs finished in the last `sinceHours`. */
  async report(sinceHours: number): Promise<CostReport> {
    await this.refreshPrices();
    const now = this.now();
    const { settings } = this.options;
    const basis = { basis: settings.basis, rate: settings.rate };
    const machines = this.options.inputs.machines();
    this.remember(machines);
    const machineRows = machineCosts(machines, this.books, basis, now);
    const since = now - sinceHours * 3_600_000;
    const priceOf = (name: string): HourlyPrice => {
      const machine = this.remembered.get(name);
      return machine
        ? machinePrice(machine, this.books, basis)
        : { unknown: `machine ${name} was never seen by an inventory` };
    };
    const jobs = jobCosts(this.options.inputs.jobs(), priceOf, now, since);
    const fleets = fleetCosts(machineRows);
    const fetched = [...this.books.values()].map((b) => b.fetchedAt);
    return {
      generatedAt: now,
      currency: settings.currency,
      basis: settings.basis,
      pricesFetchedAt: fetched.length > 0 ? Math.min(...fetched) : null,
      fleetPerHour: fleets.reduce((sum, f) => sum + f.perHour, 0),
      fleets,
      machines: machineRows,
      since,
      jobs,
      projects: projectCosts(jobs),
      warnings: [
        ...[...this.failures].map(([id, f]) => `${id}: prices unavailable: ${f.message}`),
        ...(this.cacheProblem ? [this.cacheProblem] : []),
      ],
    };
  }

  /** Reads every project's price list that is missing or older than a day. */
  async refreshPrices(): Promise<void> {
    const now = this.now();
    await Promise.all(
      this.options.sources.map(async (source) => {
        const known = this.books.get(source.id) ?? (await this.readCache(source.id));
        if (known && now - known.fetchedAt < PRICE_TTL_MS) {
          this.books.set(source.id, known);
          return;
        }
        // A failing project is asked again after a minute, not on every report.
        const failed = this.failures.get(source.id);
        if (failed && now - failed.at < 60_000) return;
        try {
          const client = await source.client();
          const types = await client.getServerTypes(this.abort.signal);
          const book = priceBookFrom(types, now);
          this.books.set(source.id, book);
          this.failures.delete(source.id);
          await this.writeCache(source.id, { fetchedAt: now, types });
        } catch (error) {
          // An old list is better than none: keep it, and say that it could not be renewed.
          if (known) this.books.set(source.id, known);
          this.failures.set(source.id, { at: now, message: redactor.redact(messageOf(error)) });
        }
      }),
    );
  }

  /**
   * Keeps each machine's last identity by name (bounded, oldest dropped first). The runtime
   * calls it on every fleet event, so VMs that lived between two reports are known too.
   */
  remember(machines: readonly Machine[]): void {
    for (const machine of machines) {
      this.remembered.delete(machine.name);
      this.remembered.set(machine.name, machine);
    }
    for (const name of this.remembered.keys()) {
      if (this.remembered.size <= REMEMBERED_MACHINES) break;
      this.remembered.delete(name);
    }
  }

  private cacheFile(id: string): string | null {
    if (!this.options.cacheDir) return null;
    return join(this.options.cacheDir, 'prices', `${id.replace(/[^a-z0-9._-]/gi, '_')}.json`);
  }

  private async readCache(id: string): Promise<PriceBook | null> {
    const file = this.cacheFile(id);
    if (!file) return null;
    try {
      const parsed = CachedPrices.safeParse(JSON.parse(await readFile(file, 'utf8')));
      return parsed.success ? priceBookFrom(parsed.data.types, parsed.data.fetchedAt) : null;
    } catch {
      // No cache yet, or unreadable: read the list from the provider.
      return null;
    }
  }

  private async writeCache(id: string, data: z.infer<typeof CachedPrices>): Promise<void> {
    const file = this.cacheFile(id);
    if (!file) return;
    try {
      await writeFileAtomic(file, JSON.stringify(data), { mode: 0o600 });
      this.cacheProblem = null;
    } catch (error) {
      // The cache only saves a request a day; a full or read-only state dir must not fail
      // the report, but it is said in its warnings, not swallowed.
      this.cacheProblem = `price cache not saved (${file}): ${redactor.redact(messageOf(error))}`;
    }
  }

  /** Price lists by source id, for tests and the tray. */
  get priceBooks(): PriceBooks {
    return this.books;
  }

  dispose(): void {
    this.abort.abort();
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
