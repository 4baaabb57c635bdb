import { z } from 'zod';
import { Timestamp } from './time';

/** Which of the provider's prices cost figures use. */
export const PriceBasis = z.enum(['net', 'gross']);
/** Which of the provider's prices cost figures use. */
export type PriceBasis = z.infer<typeof PriceBasis>;

/** A machine's share of the fleet's hourly cost right now. */
export const MachineCost = z.object({
  key: z.string(),
  fleet: z.string(),
  serverType: z.string().nullable(),
  location: z.string().nullable(),
  /** Price per hour in the report's currency; null when no price is known for it. */
  perHour: z.number().nonnegative().nullable(),
  /** Cost since the server was created (perHour × age); null when either is unknown. */
  sinceCreated: z.number().nonnegative().nullable(),
  /** Why the price is unknown ("no price for cx22 in ash"); null when known. */
  unpricedReason: z.string().nullable(),
});
/** A machine's hourly cost. */
export type MachineCost = z.infer<typeof MachineCost>;

/** What one job cost: its machine's price over the job's time, split among jobs sharing it. */
export const JobCost = z.object({
  key: z.string(),
  jobId: z.number().int(),
  projectPath: z.string().nullable(),
  name: z.string().nullable(),
  machine: z.string().nullable(),
  startedAt: Timestamp,
  finishedAt: Timestamp,
  durationSec: z.number().nonnegative(),
  /** Most jobs seen on the machine at once during this job (1 = exclusive). */
  maxSharing: z.number().int().positive(),
  /** Null when the machine or its price is unknown: never guessed. */
  cost: z.number().nonnegative().nullable(),
  unpricedReason: z.string().nullable(),
});
/** What one job cost. */
export type JobCost = z.infer<typeof JobCost>;

/** A project's job cost over one UTC day or ISO week. */
export const ProjectCost = z.object({
  projectPath: z.string(),
  period: z.enum(['day', 'week']),
  /** Start of the period (UTC midnight; Monday for weeks). */
  start: Timestamp,
  cost: z.number().nonnegative(),
  jobs: z.number().int().nonnegative(),
  /** Jobs of the project in the period whose cost is unknown (not in `cost`). */
  unpricedJobs: z.number().int().nonnegative(),
});
/** A project's job cost over a period. */
export type ProjectCost = z.infer<typeof ProjectCost>;

/** The fleet's cost now and its jobs' cost over a window. `runner-watch cost --json` prints it. */
export const CostReport = z.object({
  generatedAt: Timestamp,
  /** ISO 4217 code the figures are in (the provider's prices × the configured rate). */
  currency: z.string(),
  basis: PriceBasis,
  /** When the prices were fetched from the provider (the oldest of the projects' price lists). */
  pricesFetchedAt: Timestamp.nullable(),
  /** Sum of the priced machines' hourly prices. */
  fleetPerHour: z.number().nonnegative(),
  /** Per fleet id: hourly cost of its priced machines. */
  fleets: z.array(
    z.object({
      fleet: z.string(),
      perHour: z.number().nonnegative(),
      machines: z.number().int(),
      unpriced: z.number().int(),
    }),
  ),
  machines: z.array(MachineCost),
  since: Timestamp,
  jobs: z.array(JobCost),
  projects: z.array(ProjectCost),
  /** Problems getting prices ("hetzner prod: prices unavailable: …"), free of secrets. */
  warnings: z.array(z.string()),
});
/** The fleet's cost now and its jobs' cost over a window. */
export type CostReport = z.infer<typeof CostReport>;

/** Request of the cost channel. */
export const CostRequest = z.strictObject({
  /** Jobs finished within this many hours (bounded by what the GitLab sources keep). */
  sinceHours: z.number().positive().max(168).default(24),
});
/** Request of the cost channel. */
export type CostRequest = z.infer<typeof CostRequest>;
