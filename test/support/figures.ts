import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/*
 * The figures the reliability issue asks for (faults injected and survived, bad inputs
 * tried, kills and wrongful kills) as files, so the latest run can be read after the fact
 * (`node scripts/figures.mjs`), not only scrolled for in the test output. One JSON file
 * per figure set under test-results/figures/, replaced by each run; the test files that
 * make them run in parallel workers, so none shares a file.
 */
const DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../test-results/figures');

/** Writes `test-results/figures/<name>.json` with the figures and when they were taken. */
export function recordFigures(name: string, figures: Record<string, unknown>): void {
  mkdirSync(DIR, { recursive: true });
  const file = join(DIR, `${name.replace(/[^a-z0-9._-]+/gi, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ at: new Date().toISOString(), ...figures }, null, 1)}\n`);
}
