import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureRendererBuilt, type ViteBuildApi } from '../../../electron/cli/build-renderer';

let dir: string;
let configFile: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rw-build-renderer-'));
  configFile = join(dir, 'vite.config.ts');
  await writeFile(configFile, '');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const noVite = () => Promise.reject(new Error('Cannot find package vite'));

describe('ensureRendererBuilt', () => {
  it('does nothing when index.html is there', async () => {
    const out = join(dir, 'built');
    await mkdir(out);
    await writeFile(join(out, 'index.html'), '');
    expect(
      await ensureRendererBuilt(out, () => undefined, { configFile, loadVite: noVite }),
    ).toBeNull();
  });

  it('builds with vite and the renderer config when it is missing', async () => {
    const out = join(dir, 'fresh');
    const calls: unknown[] = [];
    const vite: ViteBuildApi = {
      async build(config) {
        calls.push(config);
        await mkdir(out, { recursive: true });
        await writeFile(join(out, 'index.html'), '');
      },
    };
    const log: string[] = [];
    expect(
      await ensureRendererBuilt(out, (l) => log.push(l), {
        configFile,
        loadVite: async () => vite,
      }),
    ).toBeNull();
    expect(calls).toEqual([{ configFile, logLevel: 'warn' }]);
    expect(log).toEqual(['building the renderer (first run only)…']);
  });

  it('tells the user to run npm run build:renderer when vite is absent', async () => {
    expect(
      await ensureRendererBuilt(join(dir, 'none'), () => undefined, {
        configFile,
        loadVite: noVite,
      }),
    ).toBe(
      'the renderer is not built and vite is not installed here: run npm run build:renderer in a checkout',
    );
  });

  it('reports a failed build in one line', async () => {
    const vite: ViteBuildApi = {
      build: () => Promise.reject(new Error('Could not resolve "./App"\n  at …')),
    };
    expect(
      await ensureRendererBuilt(join(dir, 'none'), () => undefined, {
        configFile,
        loadVite: async () => vite,
      }),
    ).toBe(
      'building the renderer failed (Could not resolve "./App"): run npm run build:renderer to see why',
    );
  });

  it('names a missing vite config', async () => {
    const missing = join(dir, 'nope.config.ts');
    expect(
      await ensureRendererBuilt(join(dir, 'none'), () => undefined, {
        configFile: missing,
        loadVite: noVite,
      }),
    ).toBe(
      `the renderer is not built (${join(dir, 'none', 'index.html')} is missing) and ${missing} is absent`,
    );
  });
});
