import type { SecretRef, Settings } from '../../../../shared/settings';
import { redactor } from '../../errors/redact';
import { GitLabSource, type GitLabSourceOptions } from './gitlab-source';

/** Resolves a secret reference (the runtime's SecretResolver fits). */
export interface TokenResolver {
  resolve(ref: SecretRef): Promise<string>;
}

/**
 * One GitLab source per configured instance. The token is resolved on every cycle, so a
 * rotated token (env or file) is picked up and its scopes checked again; each resolved
 * value is registered with the redactor before any request carries it.
 */
export function createGitLabSources(
  settings: Settings,
  secrets: TokenResolver,
  extra: Partial<Omit<GitLabSourceOptions, 'settings' | 'token'>> = {},
): GitLabSource[] {
  return settings.gitlab.map(
    (instance) =>
      new GitLabSource({
        ...extra,
        settings: instance,
        token: async () => {
          const token = await secrets.resolve(instance.token);
          redactor.register(token);
          return token;
        },
      }),
  );
}
