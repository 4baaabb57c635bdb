import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Settings } from '../../../shared/settings';
import { checkLocalFiles } from '../../../electron/core/config/check-local-files';
import { checkSecrets } from '../../../electron/core/config/check-secrets';
import { loadSettingsFile } from '../../../electron/core/config/load-settings';
import { createEnvFileSecretSource } from '../../../electron/core/config/secrets';
import { isRwError } from '../../../electron/core/errors/rw-error';
import {
  FILE_LIMITS,
  FileReadError,
  readBoundedFile,
} from '../../../electron/core/read-bounded-file';
import { planAuth } from '../../../electron/core/sources/ssh/auth';
import { appendKnownHost, readKnownHosts } from '../../../electron/core/sources/ssh/known-hosts';
import { loadSshConfig } from '../../../electron/core/sources/ssh/ssh-config';

// Issue 16.1/16.2 (and 17.4): every file a setting names is read bounded and FIFO-safe.
// Before, /dev/zero was read whole (GBs of RSS) and a FIFO blocked for good; each case
// below would hang or exhaust the test process without the bound.

let dir: string;
let fifo: string;
let socketPath: string;
let socketServer: Server;
let big: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rw-hostile-files-'));
  fifo = join(dir, 'pipe');
  execFileSync('mkfifo', [fifo]);
  socketPath = join(dir, 'sock');
  socketServer = createServer();
  await new Promise<void>((resolve) => socketServer.listen(socketPath, resolve));
  big = join(dir, 'big');
  await writeFile(big, '');
  // Sparse: 10 MB on paper, nothing on disk.
  await truncate(big, 10 * 1024 * 1024);
});
afterAll(async () => {
  await new Promise<void>((resolve) => socketServer.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

async function readFailure(path: string, maxBytes = 1024): Promise<FileReadError> {
  try {
    await readBoundedFile(path, { maxBytes, label: 'test file' });
  } catch (error) {
    expect(error).toBeInstanceOf(FileReadError);
    return error as FileReadError;
  }
  throw new Error(`expected ${path} to be refused`);
}

async function rwFailure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    expect(isRwError(error)).toBe(true);
    const { code, message } = error as { code: string; message: string };
    return { code, message };
  }
  throw new Error('expected a failure');
}

describe('readBoundedFile', () => {
  it('reads a regular file within the bound, and one of exactly the bound', async () => {
    const path = join(dir, 'ok');
    await writeFile(path, 'x'.repeat(1024));
    expect((await readBoundedFile(path, { maxBytes: 1024, label: 'test file' })).length).toBe(1024);
  });

  it('refuses a FIFO at once instead of blocking on open', async () => {
    const error = await readFailure(fifo);
    expect(error.problem).toBe('not-regular');
    expect(error.message).toBe(`test file ${fifo} is a FIFO (named pipe), not a regular file`);
  });

  it('refuses /dev/zero, a socket and a directory', async () => {
    expect((await readFailure('/dev/zero')).message).toBe(
      'test file /dev/zero is a character device, not a regular file',
    );
    expect((await readFailure(socketPath)).message).toContain('is a socket, not a regular file');
    expect((await readFailure(dir)).message).toBe(`test file ${dir} is a directory, not a file`);
  });

  it('refuses a file over the bound without reading it', async () => {
    const error = await readFailure(big, 16 * 1024);
    expect(error.problem).toBe('too-large');
    expect(error.message).toBe(
      `test file ${big} is larger than 16 KiB; that cannot be right for this file`,
    );
  });

  it('says "not found" for a missing file, with the errno for callers that allow it', async () => {
    const error = await readFailure(join(dir, 'nope'));
    expect(error.problem).toBe('missing');
    expect(error.errno).toBe('ENOENT');
  });
});

describe('every file a setting names is bounded', () => {
  it('a secret file that is a FIFO, /dev/zero or huge fails with one line naming the setting', async () => {
    const settings = Settings.parse({
      fleets: [{ id: 'ci', ssh: { passphrase: { file: fifo } } }],
    });
    const secrets = createEnvFileSecretSource({ env: {} });
    expect(await rwFailure(checkSecrets(settings, secrets))).toEqual({
      code: 'secret_missing',
      message: `fleets[0].ssh.passphrase: secret file ${fifo} is a FIFO (named pipe), not a regular file`,
    });
    expect((await rwFailure(secrets.resolve({ file: '/dev/zero' }))).message).toBe(
      'secret file /dev/zero is a character device, not a regular file',
    );
    expect((await rwFailure(secrets.resolve({ file: big }))).message).toContain(
      `is larger than ${FILE_LIMITS.secret / 1024} KiB`,
    );
  });

  it('a config file over 1 MiB, or a FIFO, is refused with one line', async () => {
    expect(await rwFailure(loadSettingsFile(big))).toEqual({
      code: 'config_invalid',
      message: `config file ${big} is larger than 1 MiB; that cannot be right for this file`,
    });
    expect((await rwFailure(loadSettingsFile(fifo))).message).toBe(
      `config file ${fifo} is a FIFO (named pipe), not a regular file`,
    );
  });

  it('an ssh config on /dev/zero names probe.sshConfigFile; a missing one is empty', async () => {
    expect((await rwFailure(loadSshConfig('/dev/zero'))).message).toBe(
      'probe.sshConfigFile: ssh config file /dev/zero is a character device, not a regular file',
    );
    const empty = await loadSshConfig(join(dir, 'no-such-config'));
    expect(empty.lookup('x').hostName).toBeNull();
  });

  it('a known_hosts on /dev/zero is a host-key failure, never an empty (accepting) file', async () => {
    expect(await rwFailure(readKnownHosts('/dev/zero'))).toEqual({
      code: 'host_key',
      message: 'known_hosts file /dev/zero is a character device, not a regular file',
    });
    expect(await readKnownHosts(join(dir, 'no-known-hosts'))).toEqual({
      entries: [],
      problems: [],
    });
  });

  it('trust-on-first-use into an uncreatable folder fails at once (was: an endless mkdir loop)', async () => {
    const result = await rwFailure(
      appendKnownHost('/proc/self/nope/known_hosts', '127.0.0.1', 22, Buffer.alloc(0)),
    );
    expect(result.code).toBe('host_key');
    expect(result.message).toMatch(
      /^cannot record the host key in \/proc\/self\/nope\/known_hosts: \/proc\/self\/nope cannot be created/,
    );
  });

  it('an identity file on /dev/zero or a FIFO is a note, not a 7 GB read or a hang', async () => {
    const plan = await planAuth({
      user: 'ci',
      identityFiles: ['/dev/zero', fifo, big],
      useAgent: false,
      agentSocket: null,
      passphrase: null,
      secrets: null,
      keyCache: new Map(),
    });
    expect(plan.methods).toEqual([]);
    expect(plan.notes).toEqual([
      'key /dev/zero is a character device, not a regular file',
      `key ${fifo} is a FIFO (named pipe), not a regular file`,
      `key ${big} is larger than 64 KiB; that cannot be right for this file`,
    ]);
  });

  it('start-up refuses SSH files that are devices, pipes or huge, naming the setting', async () => {
    const check = (ssh: Record<string, unknown>, probe: Record<string, unknown> = {}) =>
      rwFailure(
        checkLocalFiles(
          Settings.parse({
            fleets: [{ id: 'ci', ssh }],
            probe: { sshConfigFile: join(dir, 'absent'), ...probe },
          }),
        ),
      );
    expect((await check({ identityFiles: [join(dir, 'absent-key'), fifo] })).message).toBe(
      `fleets[0].ssh.identityFiles[1]: key ${fifo} is a FIFO (named pipe), not a regular file`,
    );
    expect((await check({ knownHostsFile: '/dev/zero' })).message).toBe(
      'fleets[0].ssh.knownHostsFile: known_hosts file /dev/zero is a character device, not a regular file',
    );
    expect((await check({}, { sshConfigFile: big })).message).toBe(
      `probe.sshConfigFile: ssh config file ${big} is larger than 1 MiB; that cannot be right for this file`,
    );
    // Missing files are fine at start-up: a key or known_hosts may appear later.
    await expect(
      checkLocalFiles(
        Settings.parse({
          fleets: [
            {
              id: 'ci',
              ssh: {
                identityFiles: [join(dir, 'absent-key')],
                knownHostsFile: join(dir, 'kh'),
              },
            },
          ],
          probe: { sshConfigFile: join(dir, 'absent') },
        }),
      ),
    ).resolves.toBeUndefined();
  });
});
