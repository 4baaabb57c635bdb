import type { safeStorage as SafeStorage } from 'electron';
import type { SecretRef } from '../shared/settings';
import { redactor } from './core/errors/redact';
import { RwError } from './core/errors/rw-error';
import type { SecretResolver } from './core/runtime';
import { createEnvFileSecretSource } from './core/config/secrets';

/** Where encrypted secrets are kept: a key/value store of base64 ciphertexts. */
export interface EncryptedStore {
  get(name: string): string | undefined;
  set(name: string, value: string): void;
}

/**
 * Secrets for the desktop app: `{stored}` entries are encrypted with the OS keychain via
 * safeStorage; `{env}` and `{file}` work as on the command line. Tokens stay in the main
 * process; every resolved value is registered for redaction.
 */
export class DesktopSecrets implements SecretResolver {
  constructor(
    private readonly safeStorage: Pick<
      typeof SafeStorage,
      'isEncryptionAvailable' | 'encryptString' | 'decryptString' | 'getSelectedStorageBackend'
    >,
    private readonly store: EncryptedStore,
    private readonly platform: NodeJS.Platform = process.platform,
    private readonly envFile: SecretResolver = createEnvFileSecretSource({ env: process.env }),
  ) {}

  /** Warnings for the UI, e.g. that Linux fell back to storing secrets as plain text. */
  warnings(): string[] {
    if (!this.safeStorage.isEncryptionAvailable()) {
      return [
        'No OS keychain is available: tokens cannot be stored in the app. Use {"env": …} or {"file": …} references.',
      ];
    }
    if (
      this.platform === 'linux' &&
      this.safeStorage.getSelectedStorageBackend() === 'basic_text'
    ) {
      return [
        'No keyring (libsecret/kwallet) found: stored tokens are only obfuscated, not encrypted (safeStorage basic_text).',
      ];
    }
    return [];
  }

  /** Encrypts and keeps a secret under a name; returns the reference to put in settings. */
  save(name: string, value: string): SecretRef {
    if (!this.safeStorage.isEncryptionAvailable()) {
      throw new RwError('secret_missing', 'the OS keychain is not available to encrypt the secret');
    }
    this.store.set(name, this.safeStorage.encryptString(value).toString('base64'));
    redactor.register(value);
    return { stored: name };
  }

  async resolve(ref: SecretRef): Promise<string> {
    const value = await this.read(ref);
    redactor.register(value);
    return value;
  }

  private async read(ref: SecretRef): Promise<string> {
    if (!('stored' in ref)) return this.envFile.resolve(ref);
    const cipher = this.store.get(ref.stored);
    if (cipher === undefined)
      throw new RwError('secret_missing', `no stored secret named "${ref.stored}"`);
    return this.safeStorage.decryptString(Buffer.from(cipher, 'base64'));
  }
}
