import { describe, expect, it } from 'vitest';
import { fleetCosts, machineCosts, machinePrice } from '../../../electron/core/cost/fleet-cost';
import { priceBookFrom } from '../../../electron/core/cost/price-book';
import { fresh, testMachine } from '../../support/machines';

const types = [
  {
    name: 'cx22',
    prices: [
      { location: 'fsn1', price_hourly: { net: '0.0060000000', gross: '0.0071400000' } },
      { location: 'ash', price_hourly: { net: '0.0072000000', gross: '0.0085680000' } },
    ],
  },
  {
    name: 'cx32',
    prices: [
      { location: 'fsn1', price_hourly: { net: '0.0109000000', gross: '0.0129710000' } },
      // A price that does not parse is unknown, not zero.
      { location: 'ash', price_hourly: { net: 'n/a', gross: '' } },
    ],
  },
];
const books = new Map([['hetzner:prod', priceBookFrom(types, 1_000)]]);
const gross = { basis: 'gross' as const, rate: 1 };

describe('machine prices', () => {
  it('prices a machine by its type and location, net or gross, times the rate', () => {
    const vm = testMachine('vm-1', { location: 'ash', seenBy: ['hetzner:prod'] });
    expect(machinePrice(vm, books, gross)).toEqual({ perHour: 0.008568 });
    expect(machinePrice(vm, books, { basis: 'net', rate: 1 })).toEqual({ perHour: 0.0072 });
    const usd = machinePrice(vm, books, { basis: 'net', rate: 1.5 });
    expect('perHour' in usd && usd.perHour).toBeCloseTo(0.0108, 12);
  });

  it('two locations of one type have their own prices', () => {
    const fsn = testMachine('a', { location: 'fsn1' });
    const ash = testMachine('b', { location: 'ash' });
    expect(machinePrice(fsn, books, gross)).toEqual({ perHour: 0.00714 });
    expect(machinePrice(ash, books, gross)).toEqual({ perHour: 0.008568 });
  });

  it('says why a price is unknown', () => {
    const cases = [
      [testMachine('a', { serverType: null }), 'server type unknown'],
      [testMachine('b', { location: null }), 'location of cx22 server unknown'],
      [testMachine('c', { location: 'ash', serverType: 'cx32' }), 'no price for cx32 in ash'],
      [testMachine('d', { location: 'fsn1', serverType: 'cx99' }), 'no price for cx99 in fsn1'],
    ] as const;
    for (const [machine, reason] of cases) {
      expect(machinePrice(machine, books, gross)).toEqual({ unknown: reason });
    }
    expect(machinePrice(testMachine('e', { location: 'fsn1' }), new Map(), gross)).toEqual({
      unknown: 'no price list (no Hetzner project answered)',
    });
  });
});

describe('fleet cost now', () => {
  it('sums priced machines per fleet, counts unpriced ones, leaves gone servers and SSH hosts out', () => {
    const now = 10 * 3_600_000;
    const machines = [
      testMachine('a', { location: 'fsn1', createdAt: 0 }),
      testMachine('b', { location: 'ash', createdAt: 5 * 3_600_000 }),
      testMachine('c', { location: 'ash', serverType: 'cx32' }),
      testMachine('gone', { location: 'fsn1', status: fresh('gone') }),
      testMachine('host', {
        provider: 'ssh',
        kind: 'dedicated',
        fleet: 'build',
        key: 'build/host',
      }),
    ];
    const rows = machineCosts(machines, books, gross, now);
    expect(rows.map((r) => r.key)).toEqual(['ci/a', 'ci/b', 'ci/c']);
    expect(rows[0]!.sinceCreated).toBeCloseTo(0.0714, 12); // 10 h × 0.00714
    expect(rows[1]!.sinceCreated).toBeCloseTo(0.04284, 12); // 5 h × 0.008568
    expect(rows[2]).toMatchObject({
      perHour: null,
      sinceCreated: null,
      unpricedReason: 'no price for cx32 in ash',
    });
    const [fleet] = fleetCosts(rows);
    expect(fleet).toMatchObject({ fleet: 'ci', machines: 3, unpriced: 1 });
    expect(fleet!.perHour).toBeCloseTo(0.00714 + 0.008568, 12);
  });
});
