import { z } from 'zod';
import { Timestamp } from './time';
import { Machine } from './machine';
import { Runner } from './runner';
import { SourceHealth } from './source';
import { Proposal } from './proposal';
import { FleetCounters } from './runner-metrics';

/** Everything the engine knows at one moment. `scan --json` prints exactly this. */
export const FleetSnapshot = z.object({
  /** Bumped on every change; a delta applies to the snapshot with `version - 1`. */
  version: z.number().int().nonnegative(),
  generatedAt: Timestamp,
  machines: z.array(Machine),
  runners: z.array(Runner),
  sources: z.array(SourceHealth),
  proposals: z.array(Proposal),
  /** GitLab Runner counters per configured runner metrics endpoint (absent: none configured). */
  counters: z.array(FleetCounters).optional(),
});
/** Everything the engine knows at one moment. */
export type FleetSnapshot = z.infer<typeof FleetSnapshot>;

/**
 * Pushed from main to renderer. A `delta` carries only what changed; a renderer that
 * missed a version asks for a fresh snapshot.
 */
export const FleetEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('snapshot'), snapshot: FleetSnapshot }),
  z.object({
    type: z.literal('delta'),
    version: z.number().int().nonnegative(),
    at: Timestamp,
    upserted: z.array(Machine),
    removed: z.array(z.string()),
    sources: z.array(SourceHealth),
    runners: z.array(Runner).nullable(),
    proposals: z.array(Proposal).nullable(),
    /** Runner counters when they changed; null or absent when not. */
    counters: z.array(FleetCounters).nullable().optional(),
  }),
]);
/** Pushed from main to renderer. */
export type FleetEvent = z.infer<typeof FleetEvent>;
