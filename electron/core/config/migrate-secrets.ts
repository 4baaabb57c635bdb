import type { SecretMigrationReport } from '../../../shared/secrets';
import type { SecretRef, SettingsInput } from '../../../shared/settings';
import { toApiError } from '../errors/rw-error';

/** Where a secret reference sits in the settings, and a name for it in the store. */
export interface SecretLocation {
  /** JSON path in the settings, e.g. `gitlab.0.token`. */
  path: (string | number)[];
  /** The stored secret's name, from the owner's id: `gitlab.gitlab-com.token`. */
  storedName: string;
  ref: SecretRef;
}

/** Every secret reference of a settings object: GitLab and Hetzner tokens, SSH passphrases. */
export function findSecretRefs(settings: SettingsInput): SecretLocation[] {
  const found: SecretLocation[] = [];
  settings.gitlab?.forEach((g, i) =>
    found.push({ path: ['gitlab', i, 'token'], storedName: `gitlab.${g.id}.token`, ref: g.token }),
  );
  settings.hetzner?.forEach((h, i) =>
    found.push({
      path: ['hetzner', i, 'token'],
      storedName: `hetzner.${h.id}.token`,
      ref: h.token,
    }),
  );
  settings.fleets?.forEach((f, i) => {
    if (f.ssh?.passphrase) {
      found.push({
        path: ['fleets', i, 'ssh', 'passphrase'],
        storedName: `fleet.${f.id}.ssh.passphrase`,
        ref: f.ssh.passphrase,
      });
    }
  });
  return found;
}

/** A reference as words, for reports and logs: names where it was, never its value. */
export function describeRef(ref: SecretRef): string {
  if ('env' in ref) return `environment variable ${ref.env}`;
  if ('file' in ref) return `file ${ref.file}`;
  return `stored secret ${ref.stored}`;
}

/** What the migration needs: read the old reference, encrypt and keep the value. */
export interface SecretMigrationIo {
  resolve(ref: SecretRef): Promise<string>;
  save(name: string, value: string): Promise<SecretRef>;
}

/**
 * Moves `{env}` and `{file}` secrets (users coming from the CLI) into the desktop app's
 * encrypted store and points the settings at `{stored}` entries. An explicit action: the
 * caller writes the returned settings and logs the report. A reference that cannot be
 * read stays as it was and is reported; the others still move. The environment variable
 * or file itself is left alone (the CLI may still use it).
 */
export async function migrateSecretsToStore(
  settings: SettingsInput,
  io: SecretMigrationIo,
): Promise<{ settings: SettingsInput; report: SecretMigrationReport }> {
  const next = structuredClone(settings) as Record<string, unknown>;
  const report: SecretMigrationReport = { moved: [], failed: [] };
  for (const location of findSecretRefs(settings)) {
    if ('stored' in location.ref) continue;
    const path = location.path.join('.');
    const from = describeRef(location.ref);
    try {
      const value = await io.resolve(location.ref);
      const stored = await io.save(location.storedName, value);
      setAt(next, location.path, stored);
      report.moved.push({ path, from, to: describeRef(stored) });
    } catch (error) {
      report.failed.push({ path, from, message: toApiError(error).message });
    }
  }
  return { settings: next as SettingsInput, report };
}

function setAt(target: Record<string, unknown>, path: (string | number)[], value: unknown): void {
  let node: unknown = target;
  for (const key of path.slice(0, -1)) node = (node as Record<string | number, unknown>)[key];
  const last = path.at(-1);
  if (last !== undefined) (node as Record<string | number, unknown>)[last] = value;
}
