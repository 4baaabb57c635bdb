import { z } from 'zod';
import type { Machine } from './machine';
import { Timestamp } from './time';

/**
 * The observed fields of a Machine (see `observed()` in machine.ts) whose read time a
 * refresh may move without anything else about them changing.
 */
export const REFRESHABLE_FIELDS = [
  'status',
  'disks',
  'jobs',
  'gitlabJobs',
  'load',
  'containerExits',
] as const;
/** An observed field of a Machine. */
export type RefreshableField = (typeof REFRESHABLE_FIELDS)[number];

const ReadTime = Timestamp.nullable().optional();

/**
 * Machines that a cycle read again and found the same: only their read times moved (and an
 * orphan's cost so far, which grows with the clock). A delta carries these instead of the
 * whole machines, and machines a source read at the same moment share one entry, so a
 * fleet re-read with the same values every cycle costs its keys, not its machines. Only
 * the times that moved are present; any other change (value, stale flag, error, source)
 * makes the machine an upsert instead.
 */
export const MachineRefresh = z.object({
  /** The machines (`Machine.key`) this refresh applies to; each key at most once per delta. */
  keys: z.array(z.string().min(1)).min(1),
  /** New `observedAt` of the machine's observed fields that moved. */
  observedAt: z
    .object({
      status: ReadTime,
      disks: ReadTime,
      jobs: ReadTime,
      gitlabJobs: ReadTime,
      load: ReadTime,
      containerExits: ReadTime,
    })
    .strict(),
  /** New `observedAt` of per-source readings that moved, by the reading's source id. */
  readings: z.record(z.string(), z.object({ disks: ReadTime, load: ReadTime }).strict()).optional(),
  lastSeenAt: Timestamp.optional(),
  /** The orphan status's new `costSoFar`, when it moved. */
  costSoFar: z.number().nonnegative().nullable().optional(),
});
/** Machines whose only change is their read times. */
export type MachineRefresh = z.infer<typeof MachineRefresh>;
/** What moved on one machine: a refresh without its keys. */
export type RefreshPatch = Omit<MachineRefresh, 'keys'>;

/**
 * The machine with a refresh applied, or null when the refresh does not fit it (a field or
 * reading it names is absent): the caller's copy is then out of step and must be replaced
 * by a fresh snapshot rather than patched by guesswork.
 */
export function applyMachineRefresh(machine: Machine, refresh: RefreshPatch): Machine | null {
  let fits = true;
  // Moves one observed value's time; a time for a value the machine lacks means misfit.
  const move = <T extends { observedAt: Timestamp | null }>(
    value: T | null | undefined,
    at: Timestamp | null | undefined,
  ): T | null | undefined => {
    if (at === undefined) return value;
    if (!value) {
      fits = false;
      return value;
    }
    return { ...value, observedAt: at };
  };
  const at = refresh.observedAt;
  const out: Machine = {
    ...machine,
    status: move(machine.status, at.status) ?? machine.status,
    disks: move(machine.disks, at.disks) ?? machine.disks,
    jobs: move(machine.jobs, at.jobs) ?? machine.jobs,
    gitlabJobs: move(machine.gitlabJobs, at.gitlabJobs) ?? machine.gitlabJobs,
    load: move(machine.load, at.load) ?? machine.load,
  };
  if (at.containerExits !== undefined) {
    out.containerExits = move(machine.containerExits, at.containerExits) ?? undefined;
  }
  if (refresh.readings) {
    const patches = new Map(Object.entries(refresh.readings));
    out.readings = (machine.readings ?? []).map((reading) => {
      const patch = patches.get(reading.source);
      if (!patch) return reading;
      patches.delete(reading.source);
      return {
        ...reading,
        disks: move(reading.disks, patch.disks) ?? null,
        load: move(reading.load, patch.load) ?? null,
      };
    });
    if (patches.size > 0) fits = false;
  }
  if (refresh.lastSeenAt !== undefined) out.lastSeenAt = refresh.lastSeenAt;
  if (refresh.costSoFar !== undefined) {
    if (out.orphan) out.orphan = { ...out.orphan, costSoFar: refresh.costSoFar };
    else fits = false;
  }
  return fits ? out : null;
}
