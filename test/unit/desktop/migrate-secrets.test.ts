import { describe, expect, it } from 'vitest';
import {
  findSecretRefs,
  migrateSecretsToStore,
} from '../../../electron/core/config/migrate-secrets';
import { checkStoredSecretName } from '../../../electron/core/config/secret-blob-store';
import { RwError } from '../../../electron/core/errors/rw-error';
import type { SecretRef, SettingsInput } from '../../../shared/settings';

const input: SettingsInput = {
  fleets: [{ id: 'ci', ssh: { passphrase: { file: '~/.ssh/pass' } } }, { id: 'ops' }],
  gitlab: [
    { id: 'main', url: 'https://gitlab.example.test', token: { env: 'GITLAB_TOKEN' } },
    { id: 'done', url: 'https://other.example.test', token: { stored: 'gitlab.done.token' } },
  ],
  hetzner: [{ id: 'prod', fleet: 'ci', token: { env: 'MISSING' } }],
};

describe('migrateSecretsToStore', () => {
  it('finds every secret reference with a stable stored name', () => {
    expect(findSecretRefs(input).map((l) => [l.path.join('.'), l.storedName])).toEqual([
      ['gitlab.0.token', 'gitlab.main.token'],
      ['gitlab.1.token', 'gitlab.done.token'],
      ['hetzner.0.token', 'hetzner.prod.token'],
      ['fleets.0.ssh.passphrase', 'fleet.ci.ssh.passphrase'],
    ]);
  });

  it('moves what it can read, keeps and reports the rest, never changes the input', async () => {
    const saved = new Map<string, string>();
    const values: Record<string, string> = {
      GITLAB_TOKEN: 'glpat-value-1234',
      '~/.ssh/pass': 'pass-value-5678',
    };
    const before = structuredClone(input);
    const { settings, report } = await migrateSecretsToStore(input, {
      resolve: async (ref: SecretRef) => {
        const key = 'env' in ref ? ref.env : 'file' in ref ? ref.file : ref.stored;
        const value = values[key];
        if (value === undefined)
          throw new RwError('secret_missing', `environment variable ${key} is not set`);
        return value;
      },
      save: async (name, value) => {
        saved.set(name, value);
        return { stored: name };
      },
    });
    expect(input).toEqual(before);
    expect(settings.gitlab?.[0]?.token).toEqual({ stored: 'gitlab.main.token' });
    expect(settings.gitlab?.[1]?.token).toEqual({ stored: 'gitlab.done.token' });
    expect(settings.fleets?.[0]?.ssh?.passphrase).toEqual({ stored: 'fleet.ci.ssh.passphrase' });
    expect(settings.hetzner?.[0]?.token).toEqual({ env: 'MISSING' });
    expect(report.failed).toEqual([
      {
        path: 'hetzner.0.token',
        from: 'environment variable MISSING',
        message: 'environment variable MISSING is not set',
      },
    ]);
    expect(report.moved.map((m) => m.path)).toEqual(['gitlab.0.token', 'fleets.0.ssh.passphrase']);
    expect(JSON.stringify(report)).not.toMatch(/value-\d/);
    expect([...saved.keys()]).toEqual(['gitlab.main.token', 'fleet.ci.ssh.passphrase']);
  });
});

describe('stored secret names', () => {
  it('refuse names that would leave the secrets folder', () => {
    for (const bad of ['../x', 'a/b', 'a\\b', '.hidden', 'a..b', '', 'x'.repeat(129)]) {
      expect(() => checkStoredSecretName(bad), bad).toThrow('cannot name a stored secret');
    }
    expect(() => checkStoredSecretName('gitlab.main-1.token')).not.toThrow();
  });
});
