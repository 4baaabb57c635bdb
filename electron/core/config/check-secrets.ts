import type { HttpAuth, SecretRef, Settings } from '../../../shared/settings';
import { RwError, isRwError } from '../errors/rw-error';
import { formatPath } from './settings-issues';
import type { SecretSource } from './secrets';

/** Every secret reference in the settings with its JSON path, e.g. `hetzner[0].token`. */
export function secretRefsOf(settings: Settings): { path: string; ref: SecretRef }[] {
  const refs: { path: string; ref: SecretRef }[] = [];
  settings.fleets.forEach((fleet, i) => {
    if (fleet.ssh.passphrase)
      refs.push({
        path: formatPath(['fleets', i, 'ssh', 'passphrase']),
        ref: fleet.ssh.passphrase,
      });
  });
  settings.hetzner.forEach((entry, i) =>
    refs.push({ path: formatPath(['hetzner', i, 'token']), ref: entry.token }),
  );
  settings.gitlab.forEach((entry, i) =>
    refs.push({ path: formatPath(['gitlab', i, 'token']), ref: entry.token }),
  );
  const authRefs = (label: string, list: { auth?: HttpAuth | undefined }[]) =>
    list.forEach((entry, i) => {
      if (!entry.auth) return;
      if ('bearer' in entry.auth)
        refs.push({ path: formatPath([label, i, 'auth', 'bearer']), ref: entry.auth.bearer });
      else
        refs.push({
          path: formatPath([label, i, 'auth', 'basic', 'password']),
          ref: entry.auth.basic.password,
        });
    });
  authRefs('prometheus', settings.prometheus);
  authRefs('runnerMetrics', settings.runnerMetrics);
  return refs;
}

/**
 * Resolves every secret once at start-up, so a missing variable or file stops the command
 * with one line naming the setting and the variable, instead of surfacing later as a
 * failing source. The values are registered with the redactor by the secret source.
 */
export async function checkSecrets(settings: Settings, secrets: SecretSource): Promise<void> {
  for (const { path, ref } of secretRefsOf(settings)) {
    try {
      await secrets.resolve(ref);
    } catch (error) {
      if (isRwError(error))
        throw new RwError(error.code, `${path}: ${error.message}`, { cause: error });
      throw error;
    }
  }
}
