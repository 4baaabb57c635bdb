import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareStateDir, stateDirProblem } from '../../../electron/core/config/state-dir';
import { isRwError } from '../../../electron/core/errors/rw-error';

// Issue 16.6 / 17.4: stateDir mistakes are the user's, said in one line naming stateDir,
// and creating it is bounded (Node's recursive mkdir spins forever on /proc/self/nope).

let dir: string;
let file: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rw-state-dir-'));
  file = join(dir, 'a-file');
  await writeFile(file, 'not a folder');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function failure(path: string): Promise<{ code: string; message: string }> {
  try {
    await prepareStateDir(path);
  } catch (error) {
    expect(isRwError(error)).toBe(true);
    const { code, message } = error as { code: string; message: string };
    return { code, message };
  }
  throw new Error(`expected ${path} to be refused`);
}

describe('prepareStateDir', () => {
  it('creates missing folders one level at a time, private to the user', async () => {
    const target = join(dir, 'a', 'b', 'c');
    await prepareStateDir(target);
    expect((await stat(target)).isDirectory()).toBe(true);
    expect((await stat(join(dir, 'a'))).mode & 0o777).toBe(0o700);
    await prepareStateDir(target);
  });

  it('names stateDir when it is a file (was: internal error ENOTDIR)', async () => {
    expect(await failure(file)).toEqual({
      code: 'config_invalid',
      message: `stateDir: ${file} exists and is not a directory`,
    });
    expect((await failure(join(file, 'sub'))).message).toBe(
      `stateDir: ${join(file, 'sub')} cannot be created: ${file} is a file, not a directory`,
    );
  });

  it('gives up on /proc/self/nope at once instead of looping on ENOENT', async () => {
    const result = await failure('/proc/self/nope');
    expect(result.code).toBe('config_invalid');
    expect(result.message).toMatch(/^stateDir: \/proc\/self\/nope cannot be created \(E[A-Z]+ at /);
  });
});

describe('stateDirProblem (for scan, which only warns)', () => {
  it('says what is wrong without creating anything', async () => {
    expect(await stateDirProblem(file)).toBe(`${file} exists and is not a directory`);
    expect(await stateDirProblem(join(dir, 'not-yet'))).toBeNull();
    await expect(stat(join(dir, 'not-yet'))).rejects.toThrow();
    expect(await stateDirProblem(dir)).toBeNull();
  });
});
