import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnvFileSecretSource } from '../../../electron/core/config/secrets';
import { redactor } from '../../../electron/core/errors/redact';
import { RwError, isRwError } from '../../../electron/core/errors/rw-error';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rw-secrets-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    expect(isRwError(error)).toBe(true);
    return { code: (error as RwError).code, message: (error as RwError).message };
  }
  throw new Error('expected a failure');
}

describe('env/file secret source', () => {
  it('reads a variable from the given map (not process.env) and registers it', async () => {
    const secrets = createEnvFileSecretSource({ env: { SIM_TOKEN: ' sim-token-1234 \n' } });
    expect(await secrets.resolve({ env: 'SIM_TOKEN' })).toBe('sim-token-1234');
    expect(redactor.redact('Bearer sim-token-1234')).toBe('Bearer [redacted]');
    expect(new RwError('unauthorized', 'bad sim-token-1234').message).not.toContain(
      'sim-token-1234',
    );
  });

  it('names a missing variable, never a value', async () => {
    process.env.RW_TEST_ONLY_IN_PROCESS_ENV = 'from-process-env';
    const secrets = createEnvFileSecretSource({ env: {} });
    expect(await failure(secrets.resolve({ env: 'RW_TEST_ONLY_IN_PROCESS_ENV' }))).toEqual({
      code: 'secret_missing',
      message: 'environment variable RW_TEST_ONLY_IN_PROCESS_ENV is not set',
    });
    delete process.env.RW_TEST_ONLY_IN_PROCESS_ENV;
  });

  it('refuses an empty variable', async () => {
    const secrets = createEnvFileSecretSource({ env: { EMPTY: '  ' } });
    expect(await failure(secrets.resolve({ env: 'EMPTY' }))).toEqual({
      code: 'secret_missing',
      message: 'environment variable EMPTY is empty',
    });
  });

  it('reads a file trimmed, relative to the base folder, and warns when others can read it', async () => {
    await mkdir(join(dir, 'keys'), { recursive: true });
    await writeFile(join(dir, 'keys', 'gl.token'), 'glpat-file-secret-99\n');
    await chmod(join(dir, 'keys', 'gl.token'), 0o644);
    const warnings: string[] = [];
    const secrets = createEnvFileSecretSource({
      env: {},
      baseDir: dir,
      warn: (m) => warnings.push(m),
    });
    expect(await secrets.resolve({ file: 'keys/gl.token' })).toBe('glpat-file-secret-99');
    expect(await secrets.resolve({ file: 'keys/gl.token' })).toBe('glpat-file-secret-99');
    const path = join(dir, 'keys', 'gl.token');
    expect(warnings).toEqual([
      `secret file ${path} can be read by other users (mode 0644); run: chmod 600 ${path}`,
    ]);
    expect(warnings.join()).not.toContain('glpat-file-secret-99');
    expect(redactor.redact('x glpat-file-secret-99 y')).toBe('x [redacted] y');
  });

  it('does not warn for a 0600 file and expands ~', async () => {
    await writeFile(join(dir, 'private'), 'private-secret-77');
    await chmod(join(dir, 'private'), 0o600);
    const warnings: string[] = [];
    const secrets = createEnvFileSecretSource({
      env: {},
      home: dir,
      warn: (m) => warnings.push(m),
    });
    expect(await secrets.resolve({ file: '~/private' })).toBe('private-secret-77');
    expect(warnings).toEqual([]);
  });

  it('names a missing file', async () => {
    const secrets = createEnvFileSecretSource({ env: {}, baseDir: dir });
    expect(await failure(secrets.resolve({ file: 'absent.token' }))).toEqual({
      code: 'secret_missing',
      message: `secret file ${join(dir, 'absent.token')} not found`,
    });
  });

  it('names an empty file and a directory', async () => {
    await writeFile(join(dir, 'empty.token'), '\n');
    const secrets = createEnvFileSecretSource({ env: {}, baseDir: dir });
    expect((await failure(secrets.resolve({ file: 'empty.token' }))).message).toBe(
      `secret file ${join(dir, 'empty.token')} is empty`,
    );
    expect((await failure(secrets.resolve({ file: dir }))).message).toBe(
      `secret file ${dir} is a directory, not a file`,
    );
  });

  it.skipIf(process.getuid?.() === 0)('names an unreadable file', async () => {
    await writeFile(join(dir, 'locked.token'), 'x');
    await chmod(join(dir, 'locked.token'), 0o000);
    const secrets = createEnvFileSecretSource({ env: {}, baseDir: dir });
    expect((await failure(secrets.resolve({ file: 'locked.token' }))).message).toBe(
      `secret file ${join(dir, 'locked.token')} is not readable (permission denied)`,
    );
  });

  it('refuses a desktop-store reference with what to use instead', async () => {
    const secrets = createEnvFileSecretSource({ env: {} });
    expect(await failure(secrets.resolve({ stored: 'gitlab-main' }))).toEqual({
      code: 'secret_missing',
      message: `secret {"stored": "gitlab-main"} lives in the desktop app's encrypted store; here use {"env": "NAME"} or {"file": "PATH"}`,
    });
  });
});
