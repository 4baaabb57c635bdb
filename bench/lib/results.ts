// Every bench writes bench/results/<name>.json with the machine it ran on, so figures are
// only compared between runs on the same machine (and a loaded machine shows in loadavg).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';

/** The machine and its load when the bench started. */
export interface MachineDescription {
  cpuModel: string;
  cores: number;
  ramGiB: number;
  freeRamGiB: number;
  node: string;
  platform: string;
  /** 1, 5 and 15 minute load averages when the bench started. */
  loadAverageAtStart: number[];
  date: string;
}

/** Describes this machine now; call it at the start of a bench. */
export function describeMachine(): MachineDescription {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    ramGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    freeRamGiB: Number((freemem() / 2 ** 30).toFixed(1)),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverageAtStart: loadavg().map((n) => Number(n.toFixed(2))),
    date: new Date().toISOString(),
  };
}

/** One target of the issue and whether this run met it. */
export interface TargetResult {
  what: string;
  target: string;
  value: number | string;
  met: boolean;
}

/**
 * Writes `bench/results/<name>.json` (machine, targets, figures) and prints the targets.
 * `bench/run.ts` reads the targets back for its summary.
 */
export function writeResult(
  name: string,
  machine: MachineDescription,
  targets: TargetResult[],
  figures: Record<string, unknown>,
): void {
  const dir = new URL('../results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const body = {
    bench: name,
    machine,
    loadAverageAtEnd: loadavg().map((n) => Number(n.toFixed(2))),
    maxRssMiB: Number((process.resourceUsage().maxRSS / 1024).toFixed(1)),
    targets,
    ...figures,
  };
  writeFileSync(new URL(`${name}.json`, dir), `${JSON.stringify(body, null, 2)}\n`);
  for (const t of targets)
    console.log(`${t.met ? 'met   ' : 'MISSED'}  ${t.what}: ${t.value} (target ${t.target})`);
  console.log(`wrote bench/results/${name}.json`);
}
