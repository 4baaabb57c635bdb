import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchElectronDemo } from '../../../electron/cli/launch-electron';

let dir: string;
let binary: string;
let bundle: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rw-launch-'));
  bundle = join(dir, 'main.cjs');
  await writeFile(bundle, '');
  // A stand-in for the Electron binary: records what it was given, then exits or waits.
  binary = join(dir, 'electron');
  await writeFile(
    binary,
    [
      '#!/bin/sh',
      `printf '%s\\n' "$@" > "${dir}/argv"`,
      `printf 'RW_DEMO=%s VMS=%s SEED=%s\\n' "$RW_DEMO" "$RW_DEMO_VMS" "$RW_DEMO_SEED" > "${dir}/env"`,
      'if [ "$FAKE_WAIT" = 1 ]; then trap "exit 0" TERM; while :; do sleep 0.05; done; fi',
      'exit "${FAKE_EXIT:-0}"',
      '',
    ].join('\n'),
  );
  await chmod(binary, 0o755);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const base = () => ({ binary, vms: 5, seed: 9, log: () => undefined, mainBundle: bundle });

describe('launchElectronDemo', () => {
  it('starts the app on the main bundle with RW_DEMO=1 and returns its exit code', async () => {
    const code = await launchElectronDemo({
      ...base(),
      env: { PATH: process.env.PATH, FAKE_EXIT: '3' },
      signal: new AbortController().signal,
    });
    expect(code).toBe(3);
    expect((await readFile(join(dir, 'argv'), 'utf8')).trim()).toBe(bundle);
    expect((await readFile(join(dir, 'env'), 'utf8')).trim()).toBe('RW_DEMO=1 VMS=5 SEED=9');
  });

  it('passes SIGTERM on when we are stopped, and then exits 0', async () => {
    await rm(join(dir, 'env'), { force: true });
    const abort = new AbortController();
    const done = launchElectronDemo({
      ...base(),
      env: { PATH: process.env.PATH, FAKE_WAIT: '1' },
      signal: abort.signal,
    });
    // Wait until the stand-in has started (it writes its argv first).
    await expect
      .poll(() => readFile(join(dir, 'env'), 'utf8').catch(() => ''))
      .toContain('RW_DEMO=1');
    abort.abort();
    expect(await done).toBe(0);
  });

  it('says when the binary cannot start', async () => {
    await expect(
      launchElectronDemo({
        ...base(),
        binary: join(dir, 'missing-electron'),
        env: {},
        signal: new AbortController().signal,
      }),
    ).rejects.toThrow(`cannot start Electron (${join(dir, 'missing-electron')})`);
  });
});
