import { z } from 'zod';
import { RwError } from '../../errors/rw-error';

/*
 * What GitLab answers, parsed at the boundary. Instances differ in version (REFERENCE.md):
 * everything that some version leaves out is optional here, and an unknown enum value is
 * read as "unknown" rather than failing the whole list.
 */

const time = z
  .string()
  .nullish()
  .transform((value) => {
    if (value === null || value === undefined) return null;
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? null : ms;
  });

const status = z
  .string()
  .nullish()
  .transform((value) =>
    value === 'online' || value === 'offline' || value === 'stale' || value === 'never_contacted'
      ? value
      : null,
  );

/** `GET /personal_access_tokens/self`. */
export const TokenSelf = z.object({
  id: z.number().int().optional(),
  name: z.string().optional(),
  scopes: z.array(z.string()).default([]),
  active: z.boolean().optional(),
  revoked: z.boolean().optional(),
  expires_at: z.string().nullish(),
});
export type TokenSelf = z.infer<typeof TokenSelf>;

/** `GET /user`: `is_admin` is present only for administrators. */
export const CurrentUser = z.object({
  id: z.number().int(),
  username: z.string(),
  is_admin: z.boolean().optional(),
});
export type CurrentUser = z.infer<typeof CurrentUser>;

const runnerType = z
  .string()
  .nullish()
  .transform((v) =>
    v === 'instance_type' || v === 'group_type' || v === 'project_type' ? v : null,
  );

/** One runner of `GET /runners/all` or `GET /runners`. */
export const RunnerSummary = z.object({
  id: z.number().int(),
  description: z.string().nullish(),
  active: z.boolean().nullish(),
  paused: z.boolean().nullish(),
  is_shared: z.boolean().nullish(),
  runner_type: runnerType,
  online: z.boolean().nullish(),
  status,
});
export type RunnerSummary = z.infer<typeof RunnerSummary>;

/** `GET /runners/:id` (several fields come from the runner manager in recent versions). */
export const RunnerDetails = RunnerSummary.extend({
  contacted_at: time,
  tag_list: z.array(z.string()).nullish(),
  version: z.string().nullish(),
  platform: z.string().nullish(),
  architecture: z.string().nullish(),
});
export type RunnerDetails = z.infer<typeof RunnerDetails>;

/** One entry of `GET /runners/:id/managers`. */
export const ManagerJson = z.object({
  id: z.number().int(),
  system_id: z.string(),
  version: z.string().nullish(),
  platform: z.string().nullish(),
  architecture: z.string().nullish(),
  ip_address: z.string().nullish(),
  contacted_at: time,
  status,
});
export type ManagerJson = z.infer<typeof ManagerJson>;

/** One job of `GET /runners/:id/jobs`. */
export const JobJson = z.object({
  id: z.number().int().positive(),
  status: z.string(),
  stage: z.string().nullish(),
  name: z.string().nullish(),
  ref: z.string().nullish(),
  created_at: time,
  started_at: time,
  finished_at: time,
  duration: z.number().nullish(),
  queued_duration: z.number().nullish(),
  tag_list: z.array(z.string()).nullish(),
  user: z.object({ username: z.string() }).nullish(),
  pipeline: z.object({ id: z.number().int(), project_id: z.number().int().nullish() }).nullish(),
  project: z.object({ id: z.number().int(), path_with_namespace: z.string().nullish() }).nullish(),
  web_url: z.string().nullish(),
});
export type JobJson = z.infer<typeof JobJson>;

/** Parses a value or throws a `bad_response` error naming the call. */
export function parseAs<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
  throw new RwError(
    'bad_response',
    `${what}: unexpected answer (${issue?.message ?? 'invalid'}${where})`,
  );
}
