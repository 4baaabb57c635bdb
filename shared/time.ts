import { z } from 'zod';

/** Milliseconds since the Unix epoch. Every time in the contract uses this unit. */
export const Timestamp = z.number().int().nonnegative();
/** Milliseconds since the Unix epoch. */
export type Timestamp = z.infer<typeof Timestamp>;
