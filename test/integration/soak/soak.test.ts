import { describe, expect, it } from 'vitest';
import { recordFigures } from '../../support/figures';
import { runSoak } from './soak-run';

/*
 * Soak on the simulated fleet (see soak-run.ts). `npm test` runs the short profile (1.5
 * simulated hours, under a minute); `npm run soak` the long one (RW_SOAK_HOURS=24, bounded
 * to 10 minutes). The figures are printed for the record.
 */
const hours = Number(process.env.RW_SOAK_HOURS ?? 1.5);
const long = hours > 2;

describe('soak', () => {
  it(
    `${hours} simulated hours with churn and random faults: no unhandled rejection, flat memory, only justified kills`,
    async () => {
      // The long profile steps 6 simulated minutes per cycle (a cycle costs about a second)
      // and stops at 9 minutes of wall time, so `npm run soak` stays within 10 minutes on a
      // loaded machine; it must still have covered most of the day.
      const figures = await runSoak({
        hours,
        seed: 24,
        ...(long ? { stepMs: 360_000, wallBudgetMs: 9 * 60_000 } : {}),
      });
      console.log(`figures: soak ${JSON.stringify(figures)}`);
      recordFigures(long ? 'soak-long' : 'soak-short', { kind: 'soak', ...figures });
      if (long) expect(figures.simulatedHoursDone).toBeGreaterThanOrEqual(hours * 0.75);
      else expect(figures.cycles).toBe(Math.ceil((hours * 3_600_000) / figures.stepMs));
      expect(figures.unhandledRejections).toEqual([]);
      expect(figures.wrongfulKills).toEqual([]);
      expect(figures.unjustifiedKills).toEqual([]);
      expect(figures.errorsWithoutFault).toEqual([]);
      // the run did what a soak is for: churn, faults and kills happened
      expect(figures.vmsCreated).toBeGreaterThan(0);
      expect(figures.faultsInjected).toBeGreaterThan(long ? 20 : 0);
      expect(figures.kills).toBeGreaterThan(0);
      // Memory flat: the heap at the end (after GC) is within 25 MiB of the heap a quarter in,
      // once caches and ring buffers have filled.
      const heap = figures.heapMiB;
      const settled = heap[Math.floor(heap.length / 4)] ?? heap[0] ?? 0;
      const end = heap[heap.length - 1] ?? 0;
      expect(end - settled, `heap MiB over the run: ${heap.join(', ')}`).toBeLessThan(25);
    },
    long ? 10 * 60_000 : 90_000,
  );
});
