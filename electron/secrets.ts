import type { safeStorage as SafeStorage } from 'electron';
import type { SecretRef } from '../shared/settings';
import { createEnvFileSecretSource } from './core/config/secrets';
import { checkStoredSecretName } from './core/config/secret-blob-store';
import { redactor } from './core/errors/redact';
import { RwError } from './core/errors/rw-error';
import type { SecretResolver } from './core/runtime';

/** Where encrypted secrets are kept: bytes by name (`SecretBlobStore` in the app's data dir). */
export interface EncryptedStore {
  get(name: string): Promise<Buffer | undefined>;
  set(name: string, blob: Buffer): Promise<void>;
}

/** The safeStorage methods the adapter calls; tests pass a double with the same signatures. */
export type SafeStorageLike = Pick<
  typeof SafeStorage,
  'isEncryptionAvailable' | 'encryptString' | 'decryptString' | 'getSelectedStorageBackend'
>;

/** Shown in AppInfo warnings (and so in the Settings view) when Linux has no keyring. */
export const BASIC_TEXT_WARNING =
  'No keyring (libsecret/kwallet) found: stored tokens are only obfuscated, not encrypted (safeStorage basic_text). Install and unlock a keyring, or use {"env": …} / {"file": …} references.';
/** Shown when the OS offers no encryption at all. */
export const NO_ENCRYPTION_WARNING =
  'No OS keychain is available: tokens cannot be stored in the app. Use {"env": …} or {"file": …} references.';

/**
 * Secrets for the desktop app: `{stored}` entries are encrypted with the OS keychain via
 * safeStorage and kept as blobs in the app's data dir; `{env}` and `{file}` work as on
 * the command line. Tokens stay in the main process; every resolved value is registered
 * for redaction, and no message names a value.
 */
export class DesktopSecrets implements SecretResolver {
  constructor(
    private readonly safeStorage: SafeStorageLike,
    private readonly store: EncryptedStore,
    private readonly platform: NodeJS.Platform = process.platform,
    private readonly envFile: SecretResolver = createEnvFileSecretSource({ env: process.env }),
  ) {}

  /** Warnings for the UI, e.g. that Linux fell back to storing secrets as plain text. */
  warnings(): string[] {
    if (!this.safeStorage.isEncryptionAvailable()) return [NO_ENCRYPTION_WARNING];
    if (
      this.platform === 'linux' &&
      this.safeStorage.getSelectedStorageBackend() === 'basic_text'
    ) {
      return [BASIC_TEXT_WARNING];
    }
    return [];
  }

  /** Encrypts and keeps a secret under a name; returns the reference to put in settings. */
  async save(name: string, value: string): Promise<SecretRef> {
    checkStoredSecretName(name);
    if (value.trim() === '') throw new RwError('bad_input', `secret "${name}" is empty`);
    if (!this.safeStorage.isEncryptionAvailable()) {
      throw new RwError('secret_missing', 'the OS keychain is not available to encrypt the secret');
    }
    redactor.register(value);
    await this.store.set(name, this.safeStorage.encryptString(value));
    return { stored: name };
  }

  async resolve(ref: SecretRef): Promise<string> {
    const value = await this.read(ref);
    redactor.register(value);
    return value;
  }

  private async read(ref: SecretRef): Promise<string> {
    if (!('stored' in ref)) return this.envFile.resolve(ref);
    const blob = await this.store.get(ref.stored);
    if (blob === undefined)
      throw new RwError('secret_missing', `no stored secret named "${ref.stored}"`);
    if (!this.safeStorage.isEncryptionAvailable()) {
      throw new RwError(
        'secret_missing',
        `stored secret "${ref.stored}" cannot be decrypted: the OS keychain is not available`,
      );
    }
    try {
      return this.safeStorage.decryptString(blob);
    } catch (error) {
      // The OS error says nothing secret, but keep only its fact: the key changed or is locked.
      throw new RwError(
        'secret_missing',
        `stored secret "${ref.stored}" cannot be decrypted (keychain locked or changed); enter it again in Settings`,
        { cause: error },
      );
    }
  }
}
