import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findElectronBinary } from '../../../electron/cli/electron-binary';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rw-electron-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('findElectronBinary', () => {
  it('finds nothing without path.txt or override', async () => {
    const pkg = join(dir, 'bare');
    await mkdir(pkg, { recursive: true });
    expect(findElectronBinary({}, pkg)).toBeNull();
    expect(findElectronBinary({}, null)).toBeNull();
  });

  it('uses path.txt only when it names an existing file in dist/', async () => {
    const pkg = join(dir, 'pkg');
    await mkdir(join(pkg, 'dist'), { recursive: true });
    await writeFile(join(pkg, 'path.txt'), 'electron');
    expect(findElectronBinary({}, pkg)).toBeNull();
    await writeFile(join(pkg, 'dist', 'electron'), '');
    expect(findElectronBinary({}, pkg)).toBe(join(pkg, 'dist', 'electron'));
  });

  it('prefers ELECTRON_OVERRIDE_DIST_PATH, and only when the binary is there', async () => {
    const override = join(dir, 'override');
    await mkdir(override, { recursive: true });
    expect(findElectronBinary({ ELECTRON_OVERRIDE_DIST_PATH: override }, null)).toBeNull();
    await writeFile(join(override, 'electron'), '');
    expect(findElectronBinary({ ELECTRON_OVERRIDE_DIST_PATH: override }, null)).toBe(
      join(override, 'electron'),
    );
  });
});
