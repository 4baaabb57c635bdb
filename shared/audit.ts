import { z } from 'zod';
import { Timestamp } from './time';
import { Evidence, ReaperAction, ReaperMode, ReaperRule } from './proposal';

/** What an audit record tells. One record per decision; records are never rewritten. */
export const AuditType = z.enum([
  /** The reaper proposed an action (one record per proposal id). */
  'proposal',
  /** A person (or auto mode) confirmed a proposal. */
  'confirm',
  /** The executor started an action after a passing re-check. */
  'action-start',
  /** An action ended: `outcome` says ok or failed. */
  'result',
  /** A guard or the re-check refused an action; `reasons` says why. */
  'refusal',
  /** A fleet's reaper mode changed. */
  'mode-switch',
  /** Dry-run mode: what would have been done. */
  'dry-run',
  /** Shutdown or a crash left an action unfinished. */
  'interrupted',
  /** On start, an action left in flight was checked against its provider. */
  'recovery',
  /** A proposal nobody acted on disappeared: no rule fires any more, or the machine is gone. */
  'withdrawn',
]);
/** What an audit record tells. */
export type AuditType = z.infer<typeof AuditType>;

/** How an action or decision ended. */
export const AuditOutcome = z.enum(['ok', 'failed', 'refused', 'interrupted', 'dry-run']);
/** How an action or decision ended. */
export type AuditOutcome = z.infer<typeof AuditOutcome>;

/**
 * One line of the audit log (JSON Lines). Flat on purpose: every field maps to one CSV
 * column. Text fields are scrubbed of registered secrets before they are written.
 */
export const AuditRecord = z.object({
  /** Unique id of the record. */
  id: z.string().min(1),
  at: Timestamp,
  type: AuditType,
  fleet: z.string().nullable(),
  machineKey: z.string().nullable(),
  machineName: z.string().nullable(),
  proposalId: z.string().nullable(),
  rule: ReaperRule.nullable(),
  action: ReaperAction.nullable(),
  /** `user@hostname` of the person who confirmed or switched, or `auto`. */
  who: z.string().nullable(),
  outcome: AuditOutcome.nullable(),
  /** Every reason for a refusal or a block. */
  reasons: z.array(z.string()),
  evidence: Evidence.nullable(),
  /** Mode change, for `mode-switch` records. */
  modeFrom: ReaperMode.nullable(),
  modeTo: ReaperMode.nullable(),
  /** Free text: what the action did, the error it met. */
  detail: z.string().nullable(),
});
/** One line of the audit log. */
export type AuditRecord = z.infer<typeof AuditRecord>;

/** Filter for reading the audit log; every given field must match. */
export const AuditFilter = z.strictObject({
  fleet: z.string().optional(),
  machine: z.string().optional(),
  type: AuditType.optional(),
  proposalId: z.string().optional(),
  since: Timestamp.optional(),
  until: Timestamp.optional(),
});
/** Filter for reading the audit log. */
export type AuditFilter = z.infer<typeof AuditFilter>;

/** Request of `rw:audit:list`: newest records first, at most `limit`. */
export const AuditListRequest = z.strictObject({
  limit: z.number().int().min(1).max(10_000).default(200),
  filter: AuditFilter.prefault({}),
});
/** Request of `rw:audit:list`. */
export type AuditListRequest = z.infer<typeof AuditListRequest>;
