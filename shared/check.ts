import { z } from 'zod';
import { Timestamp } from './time';

/** What one "Check now" cycle (`rw:engine:refresh`) did. */
export const CheckNowResult = z.object({
  startedAt: Timestamp,
  finishedAt: Timestamp,
  /** Snapshot version after the cycle; the fleet events carry the data itself. */
  version: z.number().int().nonnegative(),
  /** Sources failing after the cycle (their errors are in the snapshot). */
  failingSources: z.number().int().nonnegative(),
});
/** What one "Check now" cycle did. */
export type CheckNowResult = z.infer<typeof CheckNowResult>;
