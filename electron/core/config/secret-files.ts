import { resolve } from 'node:path';
import type { SecretRef } from '../../../shared/settings';
import { redactor } from '../errors/redact';
import { writeFileAtomic } from './atomic-file';

/**
 * Keeps a secret typed into the Settings view and answers the reference that replaces it
 * in the settings. The serve host and CLI keep files; the desktop app its encrypted store.
 */
export interface SecretKeeper {
  /** `file`, `stored`, or `none` when this host accepts no typed secrets. */
  readonly storage: 'file' | 'stored' | 'none';
  /** Folder of the files, for the UI to say where a token went; null otherwise. */
  readonly dir: string | null;
  /** Stores `value` under `name` (letters, digits, `.`, `_`, `-`) and returns its reference. */
  keep(name: string, value: string): Promise<SecretRef>;
}

/**
 * Secrets as 0600 files in one folder (0700) under the state dir: a settings file may
 * not hold a secret inline, so a token entered in the browser is written here and the
 * settings get `{"file": "<path>"}`.
 */
export class FileSecretKeeper implements SecretKeeper {
  readonly storage = 'file' as const;

  constructor(readonly dir: string) {}

  async keep(name: string, value: string): Promise<SecretRef> {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$/.test(name))
      throw new Error(`not a secret file name: ${JSON.stringify(name)}`);
    const trimmed = value.trim();
    redactor.register(trimmed);
    const path = resolve(this.dir, `${name}.secret`);
    await writeFileAtomic(path, `${trimmed}\n`, { mode: 0o600, forceMode: true });
    return { file: path };
  }
}

/** A host that takes no typed secrets (references only). */
export const noSecretKeeper: SecretKeeper = {
  storage: 'none',
  dir: null,
  keep: () =>
    Promise.reject(
      new Error('this host keeps no typed secrets: use {"env"} or {"file"} references'),
    ),
};
