// Property: whatever the renderer sends over IPC, nothing the main process answers or
// pushes to the window contains a secret — tokens resolved from {env}, {file} and
// {stored} references, SSH passphrases — even while every source fails (error paths are
// where tokens leak: URLs with credentials, echoed headers, exception texts).
import fc from 'fast-check';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrateSecretsToStore } from '../../../electron/core/config/migrate-secrets';
import { SecretBlobStore } from '../../../electron/core/config/secret-blob-store';
import { createRuntime } from '../../../electron/core/runtime';
import { createSenderCheck, forwardFleetEvents, registerIpc } from '../../../electron/ipc-main';
import { DesktopSecrets } from '../../../electron/secrets';
import { createEnvFileSecretSource } from '../../../electron/core/config/secrets';
import { invokeChannels } from '../../../shared/api';
import { Settings, type SettingsInput } from '../../../shared/settings';
import {
  FakeWebContents,
  fakeIpcMain,
  fakeSafeStorage,
  invokeEvent,
} from '../../support/electron-double';

const secretArb = fc.stringMatching(/^[A-Za-z0-9_-]{16,40}$/);

/** Requests a renderer could send: valid shapes with random values, and anything at all. */
const requestArb = fc.oneof(
  fc.constant({}),
  fc.record({ proposalId: fc.string({ minLength: 1, maxLength: 50 }) }),
  fc.record({ fleet: fc.constantFrom('ci', 'other'), mode: fc.constantFrom('off', 'notify') }),
  fc.record({ instance: fc.constantFrom('main', 'x') }),
  fc.record({ limit: fc.integer({ min: 1, max: 50 }) }),
  fc.anything(),
);

describe('secrets never reach the renderer', () => {
  it('no IPC answer or pushed event contains a resolved secret', async () => {
    const channels = Object.keys(invokeChannels);
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          gitlab: secretArb,
          hetzner: secretArb,
          file: secretArb,
          passphrase: secretArb,
        }),
        fc.array(fc.tuple(fc.constantFrom(...channels), requestArb), {
          minLength: 5,
          maxLength: 15,
        }),
        async (secret, calls) => {
          const dir = await mkdtemp(join(tmpdir(), 'rw-leak-'));
          try {
            const { safeStorage } = fakeSafeStorage();
            const env = { GL_TOKEN: secret.gitlab, SSH_PASS: secret.passphrase };
            const secrets = new DesktopSecrets(
              safeStorage,
              new SecretBlobStore(join(dir, 'secrets')),
              'linux',
              createEnvFileSecretSource({ env, baseDir: dir }),
            );
            await secrets.save('hetzner.prod.token', secret.hetzner);
            await writeFile(join(dir, 'second-token'), secret.file, { mode: 0o600 });
            let input: SettingsInput = {
              stateDir: join(dir, 'state'),
              fleets: [{ id: 'ci', ssh: { passphrase: { env: 'SSH_PASS' } } }],
              // Port 1 on loopback refuses: every source fails and reports an error.
              gitlab: [
                { id: 'main', url: 'http://127.0.0.1:1', token: { env: 'GL_TOKEN' } },
                { id: 'second', url: 'http://127.0.0.2:1', token: { file: 'second-token' } },
              ],
              hetzner: [
                {
                  id: 'prod',
                  fleet: 'ci',
                  apiUrl: 'http://127.0.0.1:1/v1',
                  token: { stored: 'hetzner.prod.token' },
                },
              ],
            };
            const runtime = await createRuntime({
              settings: Settings.parse(input),
              secrets,
              host: 'electron',
              demo: false,
              version: 'test',
              warnings: secrets.warnings(),
              secretStore: {
                migrate: async () => {
                  const result = await migrateSecretsToStore(input, secrets);
                  input = result.settings;
                  return result.report;
                },
              },
            });
            const contents = new FakeWebContents();
            const { ipcMain, handlers } = fakeIpcMain();
            const ipc = registerIpc(
              ipcMain,
              runtime.api,
              createSenderCheck(new Set([contents.id])),
            );
            const events = forwardFleetEvents(runtime.engine, contents);
            try {
              // Resolve every secret once, as the collectors do, and fail every source.
              await Promise.all([
                secrets.resolve({ env: 'GL_TOKEN' }),
                secrets.resolve({ file: 'second-token' }),
                secrets.resolve({ env: 'SSH_PASS' }),
              ]);
              await runtime.engine.runOnce();
              const answers: unknown[] = [];
              // Every channel once with an empty request, then the renderer's random calls.
              for (const [channel, request] of [
                ...channels.map((c): [string, unknown] => [c, {}]),
                ...calls,
              ]) {
                const handler = handlers.get(channel);
                if (handler) answers.push(await handler(invokeEvent(contents.id), request));
              }
              answers.push(await handlers.get('rw:secrets:migrate')!(invokeEvent(contents.id), {}));
              const everything = JSON.stringify([answers, contents.sent]);
              for (const value of Object.values(secret)) expect(everything).not.toContain(value);
              // The failing sources did report errors: the property was tested on error paths.
              expect(runtime.engine.snapshot().sources.some((s) => s.state === 'failing')).toBe(
                true,
              );
            } finally {
              await ipc.dispose();
              await events.dispose();
              await runtime.dispose();
            }
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 8 },
    );
  }, 60_000);
});
