import { describe, expect, it } from 'vitest';
import { Settings } from '../../../shared/settings';
import { checkSecrets, secretRefsOf } from '../../../electron/core/config/check-secrets';
import { createEnvFileSecretSource } from '../../../electron/core/config/secrets';

const settings = Settings.parse({
  fleets: [{ id: 'ci', ssh: { passphrase: { env: 'KEY_PASS' } } }],
  hetzner: [{ id: 'prod', fleet: 'ci', token: { env: 'HCLOUD_TOKEN' } }],
  gitlab: [{ id: 'gl', url: 'http://127.0.0.1:1', token: { env: 'GITLAB_TOKEN' } }],
});

describe('checkSecrets', () => {
  it('finds every secret reference with its path', () => {
    expect(secretRefsOf(settings).map((r) => r.path)).toEqual([
      'fleets[0].ssh.passphrase',
      'hetzner[0].token',
      'gitlab[0].token',
    ]);
  });

  it('passes when every secret resolves', async () => {
    const env = { KEY_PASS: 'pass-1234', HCLOUD_TOKEN: 'hc-1234', GITLAB_TOKEN: 'gl-1234' };
    await expect(
      checkSecrets(settings, createEnvFileSecretSource({ env })),
    ).resolves.toBeUndefined();
  });

  it('names the setting and the missing variable', async () => {
    const env = { KEY_PASS: 'pass-1234', GITLAB_TOKEN: 'gl-1234' };
    await expect(checkSecrets(settings, createEnvFileSecretSource({ env }))).rejects.toMatchObject({
      code: 'secret_missing',
      message: 'hetzner[0].token: environment variable HCLOUD_TOKEN is not set',
    });
  });
});
