import type { PriceBasis } from '../../../shared/cost';

/** One server type's hourly prices per location, as Hetzner's `GET /server_types` lists them. */
export interface ServerTypePrices {
  name: string;
  prices: readonly {
    location: string;
    price_hourly: { net: string; gross: string };
  }[];
}

/** Hourly prices by server type and location, from one price list. */
export interface PriceBook {
  /** When the list was fetched from the provider. */
  readonly fetchedAt: number;
  /** Hourly price, or null when the list has none for that type in that location. */
  hourly(serverType: string, location: string, basis: PriceBasis): number | null;
  /** Locations the list prices a type in, for messages ("priced in fsn1, nbg1"). */
  locationsOf(serverType: string): string[];
}

/**
 * Reads a price list. Hetzner sends prices as decimal strings ("0.0071000000"); one that
 * does not parse to a finite, non-negative number is left out (unknown), never read as 0.
 */
export function priceBookFrom(types: readonly ServerTypePrices[], fetchedAt: number): PriceBook {
  const table = new Map<string, Map<string, { net: number; gross: number }>>();
  for (const type of types) {
    const byLocation = new Map<string, { net: number; gross: number }>();
    for (const price of type.prices) {
      const net = parsePrice(price.price_hourly.net);
      const gross = parsePrice(price.price_hourly.gross);
      if (net === null || gross === null) continue;
      byLocation.set(price.location, { net, gross });
    }
    table.set(type.name, byLocation);
  }
  return {
    fetchedAt,
    hourly: (serverType, location, basis) => table.get(serverType)?.get(location)?.[basis] ?? null,
    locationsOf: (serverType) => [...(table.get(serverType)?.keys() ?? [])].sort(),
  };
}

function parsePrice(text: string): number | null {
  if (!/^\d{1,9}(\.\d{1,20})?$/.test(text.trim())) return null;
  const value = Number(text);
  return Number.isFinite(value) && value >= 0 ? value : null;
}
