import type { MachineCost, PriceBasis } from '../../../shared/cost';
import type { Machine } from '../../../shared/machine';
import type { HourlyPrice } from './job-cost';
import type { PriceBook } from './price-book';

/** Price lists by the id of the Hetzner source (project) that fetched them. */
export type PriceBooks = ReadonlyMap<string, PriceBook>;

/** How figures are turned into the user's currency. */
export interface CostBasis {
  basis: PriceBasis;
  /** Multiplier from the provider's currency to the report's. */
  rate: number;
}

/**
 * A machine's hourly price: from the price list of the project that lists it (prices are
 * per project's account), else from any list that prices its type there. Unknown with the
 * reason when the machine's type or location is not known or no list prices it.
 */
export function machinePrice(machine: Machine, books: PriceBooks, basis: CostBasis): HourlyPrice {
  if (machine.serverType === null) return { unknown: 'server type unknown' };
  const location = machine.location ?? null;
  if (location === null) return { unknown: `location of ${machine.serverType} server unknown` };
  const own = machine.seenBy.map((id) => books.get(id)).filter((b) => b !== undefined);
  for (const book of [...own, ...books.values()]) {
    const price = book.hourly(machine.serverType, location, basis.basis);
    if (price !== null) return { perHour: price * basis.rate };
  }
  if (books.size === 0) return { unknown: 'no price list (no Hetzner project answered)' };
  return { unknown: `no price for ${machine.serverType} in ${location}` };
}

/** States in which a server is billed: anything but gone (Hetzner bills stopped servers too). */
function billed(machine: Machine): boolean {
  return machine.status.value !== 'gone' && machine.provider !== 'ssh';
}

/** Every billed machine's hourly price now, and what it has cost since it was created. */
export function machineCosts(
  machines: readonly Machine[],
  books: PriceBooks,
  basis: CostBasis,
  now: number,
): MachineCost[] {
  return machines.filter(billed).map((machine) => {
    const price = machinePrice(machine, books, basis);
    const perHour = 'perHour' in price ? price.perHour : null;
    const ageHours =
      machine.createdAt === null ? null : Math.max(0, now - machine.createdAt) / 3_600_000;
    return {
      key: machine.key,
      fleet: machine.fleet,
      serverType: machine.serverType,
      location: machine.location ?? null,
      perHour,
      sinceCreated: perHour === null || ageHours === null ? null : perHour * ageHours,
      unpricedReason: 'unknown' in price ? price.unknown : null,
    };
  });
}

/** Hourly cost per fleet of its priced machines, with how many could not be priced. */
export function fleetCosts(
  costs: readonly MachineCost[],
): { fleet: string; perHour: number; machines: number; unpriced: number }[] {
  const byFleet = new Map<
    string,
    { fleet: string; perHour: number; machines: number; unpriced: number }
  >();
  for (const cost of costs) {
    const row = byFleet.get(cost.fleet) ?? {
      fleet: cost.fleet,
      perHour: 0,
      machines: 0,
      unpriced: 0,
    };
    row.machines += 1;
    if (cost.perHour === null) row.unpriced += 1;
    else row.perHour += cost.perHour;
    byFleet.set(cost.fleet, row);
  }
  return [...byFleet.values()].sort((a, b) => a.fleet.localeCompare(b.fleet));
}
