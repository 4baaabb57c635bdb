import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { RwError } from '../errors/rw-error';
import { writeFileAtomic } from './atomic-file';

/** Names a stored secret may have: they become file names, so no separators and no `..`. */
export const STORED_SECRET_NAME = /^[a-z0-9][a-z0-9_-]*(\.[a-z0-9_-]+)*$/i;

/** Throws when `name` cannot be a stored secret's name (it would escape the folder). */
export function checkStoredSecretName(name: string): void {
  if (!STORED_SECRET_NAME.test(name) || name.length > 128) {
    throw new RwError(
      'bad_input',
      `"${name}" cannot name a stored secret: use letters, digits, "-", "_" and single dots (at most 128)`,
    );
  }
}

/**
 * Encrypted secrets of the desktop app, one file per secret (`<name>.bin`, mode 0600) in
 * a 0700 folder of the app's data dir. It only keeps bytes: encryption is the caller's
 * (Electron safeStorage), so this never sees a plain value. Writes are atomic
 * (`writeFileAtomic`), so a crash leaves the old blob or the new one, never half.
 */
export class SecretBlobStore {
  constructor(readonly dir: string) {}

  /** The blob stored under `name`, or undefined when there is none. */
  async get(name: string): Promise<Buffer | undefined> {
    checkStoredSecretName(name);
    try {
      return await fs.readFile(this.file(name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async set(name: string, blob: Buffer): Promise<void> {
    checkStoredSecretName(name);
    await writeFileAtomic(this.file(name), blob, { mode: 0o600, forceMode: true });
  }

  async delete(name: string): Promise<void> {
    checkStoredSecretName(name);
    await fs.rm(this.file(name), { force: true });
  }

  /** Names of every stored secret, sorted. */
  async list(): Promise<string[]> {
    const entries = await fs.readdir(this.dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    return entries
      .filter((f) => f.endsWith('.bin'))
      .map((f) => f.slice(0, -'.bin'.length))
      .filter((n) => STORED_SECRET_NAME.test(n))
      .sort();
  }

  private file(name: string): string {
    return join(this.dir, `${name}.bin`);
  }
}
