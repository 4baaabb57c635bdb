import { cpus, freemem, loadavg, totalmem } from 'node:os';

/** What a bench figure was measured on: results from different machines do not compare. */
export interface MachineDescription {
  cpuModel: string;
  cores: number;
  ramGiB: number;
  freeRamGiB: number;
  node: string;
  platform: string;
  /** 1, 5 and 15 minute load averages; other work on a shared machine skews every figure. */
  loadavg: number[];
  at: string;
}

/** Describes this machine now (call at the end of a run, so the load average covers it). */
export function describeMachine(): MachineDescription {
  const cpu = cpus();
  const gib = (bytes: number) => Math.round((bytes / 1024 ** 3) * 10) / 10;
  return {
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    ramGiB: gib(totalmem()),
    freeRamGiB: gib(freemem()),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadavg: loadavg().map((l) => Math.round(l * 100) / 100),
    at: new Date().toISOString(),
  };
}
