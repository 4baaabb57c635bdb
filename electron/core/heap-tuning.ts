import { setFlagsFromString } from 'node:v8';

/**
 * V8 flags for a process that runs the engine for days (the serve host, the desktop app's
 * main process). V8 sizes its heap for throughput: at 1,000 machines a cycle leaves ~60 MB
 * of garbage, and after a full GC V8 let the old space grow to ~4× what was live (37 MB
 * live, 150 MB committed) and the young space to its 32 MB maximum — a core RSS of 275 MB
 * in the first simulated hour (bench/memory.ts). A tray app idles 29 s of every 30, so it
 * can spend a little more GC time to stay small:
 *
 * - `--heap-growing-percent=20`: the old space may grow to 1.2× what survived the last
 *   full GC before the next one (V8 picks 1.1–4× by itself).
 * - `--semi-space-growth-factor=1`: the young space stays at its starting size instead of
 *   doubling up to its maximum (its maximum is fixed at start-up; this one still applies).
 *
 * Measured with bench/memory.ts (1,000 machines, 1 simulated hour): RSS 276 → 140 MB,
 * committed heap 151 → 70 MB, engine time per cycle 146 → 176 ms (of 30 s). Both flags
 * are read whenever V8 resizes, so setting them after start-up takes effect; a V8 without
 * one of them ignores it (test/unit/engine/heap-tuning.test.ts checks this Node has both).
 */
export const LONG_RUN_V8_FLAGS = ['--heap-growing-percent=20', '--semi-space-growth-factor=1'];

/** Applies LONG_RUN_V8_FLAGS; once per process is enough, again is harmless. */
export function tuneHeapForLongRun(setFlags: (flags: string) => void = setFlagsFromString): void {
  for (const flag of LONG_RUN_V8_FLAGS) setFlags(flag);
}
