import { recordFigures } from '../../support/figures';

/*
 * Counts the faults a test file injected and the ones the app survived, and prints one
 * line at the end ("faults: source faults: 14 injected, 14 survived") for the record, also
 * kept as test-results/figures/faults-<label>.json. A fault counts as survived only when
 * its test reached the end of its checks.
 */
export interface FaultTally {
  inject(name: string): void;
  survived(name: string): void;
  readonly injected: number;
  readonly survivedCount: number;
  print(): void;
}

export function faultTally(label: string): FaultTally {
  const injected = new Set<string>();
  const survived = new Set<string>();
  return {
    inject: (name) => void injected.add(name),
    survived: (name) => {
      if (!injected.has(name)) throw new Error(`fault ${name} survived but was never injected`);
      survived.add(name);
    },
    get injected() {
      return injected.size;
    },
    get survivedCount() {
      return survived.size;
    },
    print() {
      const lost = [...injected].filter((n) => !survived.has(n));
      recordFigures(`faults-${label}`, {
        kind: 'faults',
        label,
        injected: injected.size,
        survived: survived.size,
        notSurvived: lost,
        faults: [...injected],
      });
      console.log(
        `faults: ${label}: ${injected.size} injected, ${survived.size} survived${lost.length ? ` (not: ${lost.join(', ')})` : ''}`,
      );
    },
  };
}
