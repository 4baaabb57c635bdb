import type { GitLabCheckResult } from '../../../shared/settings-api';
import type { GitLabSettings, SecretRef } from '../../../shared/settings';
import { isRwError } from '../errors/rw-error';
import { GitLabClient } from '../sources/gitlab/client';

/** What the check needs to read the token. */
export interface TokenSecrets {
  resolve(ref: SecretRef): Promise<string>;
}

/**
 * What a token's scopes leave out, in the words of what Runner Watch then cannot do.
 * `scopes: null` (the instance would not say) leaves nothing to report up front.
 */
export function missingCapabilities(scopes: string[] | null, isAdmin: boolean | null): string[] {
  const missing: string[] = [];
  if (scopes !== null) {
    const has = (scope: string) => scopes.includes(scope) || scopes.includes('api');
    if (!has('read_api')) missing.push('read_api (or api): runners and jobs cannot be read at all');
    if (!has('manage_runner'))
      missing.push(
        'manage_runner (or api): runner details and stale-runner pruning are unavailable',
      );
  }
  if (isAdmin === false)
    missing.push('administrator: only the runners this user owns are listed, not /runners/all');
  return missing;
}

/** Asks the instance about the token (`/personal_access_tokens/self`, `/user`). */
export async function checkGitLabToken(
  instance: GitLabSettings,
  secrets: TokenSecrets,
  fetchFn?: typeof fetch,
): Promise<GitLabCheckResult> {
  const base = { id: instance.id, url: instance.url };
  let token: string;
  try {
    token = await secrets.resolve(instance.token);
  } catch (error) {
    return {
      ...base,
      reached: false,
      username: null,
      isAdmin: null,
      scopes: null,
      missing: [],
      message: `the token could not be read: ${isRwError(error) ? error.message : 'unknown error'}`,
    };
  }
  const client = new GitLabClient({
    url: instance.url,
    token: () => token,
    timeoutMs: instance.timeoutSec * 1000,
    retries: 0,
    ...(fetchFn ? { fetch: fetchFn } : {}),
  });
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error('timeout')), instance.timeoutSec * 1000);
  try {
    const info = await client.identify(abort.signal);
    const missing = missingCapabilities(info.scopes, info.isAdmin);
    return {
      ...base,
      reached: true,
      username: info.username,
      isAdmin: info.isAdmin,
      scopes: info.scopes,
      missing,
      message:
        missing.length === 0
          ? `token of ${info.username ?? 'an unknown user'} may do everything Runner Watch needs`
          : `token of ${info.username ?? 'an unknown user'} lacks: ${missing.join('; ')}`,
    };
  } catch (error) {
    return {
      ...base,
      reached: false,
      username: null,
      isAdmin: null,
      scopes: null,
      missing: [],
      message: isRwError(error) ? error.message : 'the instance did not answer',
    };
  } finally {
    clearTimeout(timer);
  }
}
