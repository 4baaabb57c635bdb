import { z } from 'zod';
import {
  ContainerExits,
  DiskUsage,
  LoadInfo,
  Machine,
  MachineState,
  RunningJob,
} from '../../../shared/machine';
import { formatPath } from '../config/settings-issues';

/**
 * The contract's schema for each field a source reports. A reading that fails it (a
 * non-finite figure, a percentage over 100) never enters the fleet model: the field is
 * unknown with the reason instead, so one broken host cannot make every snapshot answer
 * fail its schema, and no impossible figure reaches the reaper.
 */
export const readingSchemas = {
  disks: z.array(DiskUsage),
  jobs: z.array(RunningJob),
  load: LoadInfo,
  containerExits: ContainerExits,
  identity: Machine.pick({
    kind: true,
    provider: true,
    providerId: true,
    serverType: true,
    createdAt: true,
    labels: true,
    addresses: true,
    providerStatus: true,
  }).extend({ state: MachineState }),
} as const;

/** A reading checked against its schema: the value unchanged, or null and why. */
export type CheckedReading<T> = { ok: true; value: T } | { ok: false; problem: string };

/**
 * Checks one reading. On success the value is returned as given (not the parsed copy, so
 * fields the contract does not list survive); on failure, one line naming the first bad
 * path, never the value itself.
 */
export function checkReading<T>(field: keyof typeof readingSchemas, value: T): CheckedReading<T> {
  const result = readingSchemas[field].safeParse(value);
  if (result.success) return { ok: true, value };
  const issue = result.error.issues[0];
  const where = formatPath([field, ...(issue?.path ?? [])]);
  return { ok: false, problem: `${where}: ${issue?.message ?? 'invalid'}` };
}
