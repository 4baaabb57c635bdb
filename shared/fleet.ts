import { z } from 'zod';
import { Timestamp } from './time';
import { Machine } from './machine';
import { MachineRefresh } from './machine-refresh';
import { Runner } from './runner';
import { SourceHealth } from './source';
import { Proposal, ReaperMode } from './proposal';
import { FleetCounters } from './runner-metrics';
import { FleetProbe } from './settings';

/**
 * A fleet's levels and guards as the engine applies them, so the UI draws warn/kill marks
 * at the real thresholds and names the mode in force (settings plus any run-time switch).
 */
export const FleetPolicy = z.object({
  id: z.string(),
  name: z.string().nullable(),
  kind: z.enum(['autoscaled', 'dedicated']),
  /** Disk use at which the tray and the UI warn. */
  warnPct: z.number(),
  /** The disk rule's threshold: at or over it for `samples` samples, a VM is proposed. */
  killPct: z.number(),
  samples: z.number().int(),
  watchedMounts: z.array(z.string()),
  /** The reaper mode in force right now. */
  mode: ReaperMode,
  minFleetSize: z.number().int(),
  maxKillsPerHour: z.number().int(),
  /** How the machines are read (`none`: not over SSH); absent from hosts older than this field. */
  probe: FleetProbe.optional(),
});
/** A fleet's levels and guards as the engine applies them. */
export type FleetPolicy = z.infer<typeof FleetPolicy>;

/**
 * Why a machine of a fleet with `probe: "none"` has no job container reading: the reaper's
 * reason and the Fleet view say it in the same words.
 */
export const NOT_PROBED_JOBS_UNKNOWN =
  'not probed over SSH (fleet probe: none): job containers unknown';

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
  /** Each configured fleet's thresholds and mode; absent from hosts older than this field. */
  fleets: z.array(FleetPolicy).optional(),
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
    /**
     * Machines whose only change is their read times: apply each to the cached machine
     * (`applyMachineRefresh`). Absent from hosts older than this field.
     */
    refreshed: z.array(MachineRefresh).optional(),
    removed: z.array(z.string()),
    sources: z.array(SourceHealth),
    runners: z.array(Runner).nullable(),
    proposals: z.array(Proposal).nullable(),
    /** Runner counters when they changed; null or absent when not. */
    counters: z.array(FleetCounters).nullable().optional(),
    /** The fleets' policies when they changed (a mode switch, new settings); else absent or null. */
    fleets: z.array(FleetPolicy).nullable().optional(),
  }),
]);
/** Pushed from main to renderer. */
export type FleetEvent = z.infer<typeof FleetEvent>;
