import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JsonFileSettingsStore } from '../../../electron/core/config/json-settings-store';
import { FileSecretKeeper, noSecretKeeper } from '../../../electron/core/config/secret-files';
import { createEnvFileSecretSource } from '../../../electron/core/config/secrets';
import { isRwError } from '../../../electron/core/errors/rw-error';
import { SettingsService } from '../../../electron/core/settings/settings-service';
import type { Settings, SettingsInput } from '../../../shared/settings';

let dir: string;
let configPath: string;
const initial: SettingsInput = {
  fleets: [{ id: 'ci' }],
  hetzner: [{ id: 'prod', fleet: 'ci', token: { env: 'RW_TEST_HCLOUD' } }],
  gitlab: [{ id: 'main', url: 'http://127.0.0.1:9', token: { env: 'RW_TEST_GITLAB' } }],
};
const TOKEN = 'glpat-typed-in-the-browser-0123456789';

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rw-settings-'));
  configPath = join(dir, 'fleet.json');
  await writeFile(configPath, JSON.stringify({ ...initial, stateDir: join(dir, 'state') }));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function service(
  options: { apply?: (next: Settings) => Promise<{ applied: boolean; message: string }> } = {},
) {
  const store = new JsonFileSettingsStore(configPath);
  return {
    store,
    service: new SettingsService({
      store,
      secrets: createEnvFileSecretSource({
        env: { RW_TEST_HCLOUD: 'hcloud-token-value', RW_TEST_GITLAB: 'gitlab-token-value' },
        baseDir: dir,
        warn: () => undefined,
      }),
      keeper: new FileSecretKeeper(join(dir, 'state', 'secrets')),
      ...options,
    }),
  };
}

describe('JsonFileSettingsStore', () => {
  it('replaces the file atomically, keeps the previous version as .bak, and refuses invalid settings untouched', async () => {
    const { store } = service();
    const before = await readFile(configPath, 'utf8');
    await store.write({ ...initial, fleets: [{ id: 'ci', warnPct: 40 }] });
    expect(await readFile(`${configPath}.bak`, 'utf8')).toBe(before);
    expect(JSON.parse(await readFile(configPath, 'utf8')).fleets[0].warnPct).toBe(40);
    const written = await readFile(configPath, 'utf8');

    const bad = { ...initial, fleets: [{ id: 'ci', warnPct: 400 }] };
    const error = await store.write(bad).catch((e: unknown) => e);
    expect(isRwError(error)).toBe(true);
    expect((error as Error).message).toContain('fleets[0].warnPct');
    expect(await readFile(configPath, 'utf8')).toBe(written);
  });

  it('says which file is broken when it is not JSON', async () => {
    await writeFile(configPath, '{ "fleets": [ }');
    const { store } = service();
    await expect(store.read()).rejects.toThrow(/fleet\.json is not valid JSON at line 1/);
  });
});

describe('SettingsService', () => {
  it('reads the settings with defaults and secret status, never a secret value', async () => {
    const { service: s } = service();
    const document = await s.document();
    expect(document.settings.fleets[0]?.reaper.diskThresholdPct).toBe(60);
    expect(document.secrets).toEqual([
      {
        path: ['hetzner', 0, 'token'],
        kind: 'env',
        name: 'RW_TEST_HCLOUD',
        set: true,
        problem: null,
      },
      {
        path: ['gitlab', 0, 'token'],
        kind: 'env',
        name: 'RW_TEST_GITLAB',
        set: true,
        problem: null,
      },
    ]);
    const json = JSON.stringify(document);
    expect(json).not.toContain('hcloud-token-value');
    expect(json).not.toContain('gitlab-token-value');
  });

  it('returns every problem at its path and writes nothing', async () => {
    const { service: s } = service();
    const before = await readFile(configPath, 'utf8');
    const result = await s.update({
      settings: {
        ...initial,
        gitlab: [{ id: 'main', url: 'not a url', token: { env: 'RW_TEST_GITLAB' } }],
        fleets: [{ id: 'ci', reaper: { samples: 0 } }],
      },
      secrets: [{ path: ['gitlab', 0, 'token'], value: TOKEN }],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toEqual(
      expect.arrayContaining([
        {
          path: ['gitlab', 0, 'url'],
          message: 'expected an http:// or https:// URL such as https://gitlab.example.com',
        },
        { path: ['fleets', 0, 'reaper', 'samples'], message: 'expected a number ≥ 1' },
      ]),
    );
    expect(await readFile(configPath, 'utf8')).toBe(before);
    // Not even the typed token was kept.
    await expect(stat(join(dir, 'state', 'secrets'))).rejects.toThrow();
  });

  it('reports a fleet reference that does not exist at the referring field', async () => {
    const { service: s } = service();
    const result = await s.update({
      settings: {
        ...initial,
        hetzner: [{ id: 'prod', fleet: 'nope', token: { env: 'RW_TEST_HCLOUD' } }],
      },
      secrets: [],
    });
    expect(result).toEqual({
      ok: false,
      issues: [{ path: ['hetzner', 0, 'fleet'], message: 'no fleet with id "nope" (defined: ci)' }],
    });
  });

  it('refuses a secret for a field that is not a secret, and an unset variable', async () => {
    const { service: s } = service();
    const wrongField = await s.update({
      settings: { ...initial },
      secrets: [{ path: ['gitlab', 0, 'url'], value: TOKEN }],
    });
    expect(wrongField).toMatchObject({ ok: false, issues: [{ path: ['gitlab', 0, 'url'] }] });
    const unset = await s.update({
      settings: {
        ...initial,
        gitlab: [{ id: 'main', url: 'http://127.0.0.1:9', token: { env: 'RW_NOT_SET' } }],
      },
      secrets: [],
    });
    expect(unset).toEqual({
      ok: false,
      issues: [
        { path: ['gitlab', 0, 'token'], message: 'environment variable RW_NOT_SET is not set' },
      ],
    });
  });

  it('keeps a typed token in a 0600 file, stores a {file} reference, saves and applies', async () => {
    const applied: Settings[] = [];
    const { service: s } = service({
      apply: async (next) => {
        applied.push(next);
        return { applied: true, message: 'restarted' };
      },
    });
    const result = await s.update({
      settings: { ...initial, fleets: [{ id: 'ci', warnPct: 45 }] },
      secrets: [{ path: ['gitlab', 0, 'token'], value: `  ${TOKEN}\n` }],
    });
    expect(result).toMatchObject({ ok: true, applied: true, message: 'restarted' });
    const secretFile = join(dir, 'state', 'secrets', 'gitlab-main-token.secret');
    expect(await readFile(secretFile, 'utf8')).toBe(`${TOKEN}\n`);
    expect((await stat(secretFile)).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(await readFile(configPath, 'utf8'));
    expect(saved.gitlab[0].token).toEqual({ file: secretFile });
    expect(saved.fleets[0].warnPct).toBe(45);
    expect(await readFile(configPath, 'utf8')).not.toContain(TOKEN);
    expect(applied[0]?.fleets[0]?.warnPct).toBe(45);
    expect(JSON.stringify(result)).not.toContain(TOKEN);
    if (result.ok)
      expect(result.document.secrets.find((x) => x.path[0] === 'gitlab')).toMatchObject({
        kind: 'file',
        set: true,
      });
  });

  it('says a restart is needed when the host cannot apply', async () => {
    const { service: s } = service();
    const result = await s.update({ settings: { ...initial }, secrets: [] });
    expect(result).toMatchObject({ ok: true, applied: false });
    if (result.ok) expect(result.message).toContain('restart Runner Watch');
  });

  it("imports a config.toml: Hetzner tokens go to the host's store only when asked, never into the answer", async () => {
    const plugin = 'hcloudPastedPluginToken0123456789abcdefghijklmnopqrstuvwxyzABCD';
    const text = `
[[runners]]
  name = "fleeting"
  url = "https://gitlab.example.com"
  token = "glrt-pastedrunnertoken0123"
  executor = "docker-autoscaler"
  [runners.autoscaler]
    plugin = "hetznercloud/fleeting-plugin-hetzner:latest"
    [runners.autoscaler.plugin_config]
      name = "ci-fleet"
      token = "${plugin}"
`;
    const { service: s } = service();
    const plain = await s.importToml({ text });
    expect(plain.settings.hetzner?.[0]?.token).toEqual({ env: 'RW_HCLOUD_TOKEN_FLEETING' });
    const kept = await s.importToml({ text, storeTokens: true });
    const file = join(dir, 'state', 'secrets', 'hcloud-fleeting.secret');
    expect(kept.settings.hetzner?.[0]?.token).toEqual({ file });
    expect(await readFile(file, 'utf8')).toBe(`${plugin}\n`);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    for (const answer of [plain, kept]) {
      expect(JSON.stringify(answer)).not.toContain(plugin);
      expect(JSON.stringify(answer)).not.toContain('glrt-pastedrunnertoken0123');
    }
  });

  it('refuses to keep tokens on a host without a secret store', async () => {
    const store = new JsonFileSettingsStore(configPath);
    const s = new SettingsService({
      store,
      secrets: createEnvFileSecretSource({ env: {}, baseDir: dir, warn: () => undefined }),
      keeper: noSecretKeeper,
    });
    const error = await s
      .importToml({
        text: '[[runners]]\n url = "https://g.example"\n executor = "shell"\n',
        storeTokens: true,
      })
      .catch((e: unknown) => e);
    expect(isRwError(error) && error.message).toBe(
      'this host keeps no secrets: import without storing tokens',
    );
  });
});
