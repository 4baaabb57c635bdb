import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './project-paths';

/** The part of vite's JS API the CLI uses. */
export interface ViteBuildApi {
  build(config: { configFile: string; logLevel?: 'warn' | 'error' }): Promise<unknown>;
}

/** Where to find the renderer's vite config and vite itself; tests pass their own. */
export interface EnsureRendererOptions {
  configFile?: string;
  loadVite?: () => Promise<ViteBuildApi>;
}

/**
 * Makes sure the built renderer exists, building it with vite's JS API when it does not.
 * Returns null when it is there (or was built), else a message saying what the user can do.
 */
export async function ensureRendererBuilt(
  rendererDir: string,
  log: (line: string) => void,
  options: EnsureRendererOptions = {},
): Promise<string | null> {
  const index = join(rendererDir, 'index.html');
  if (existsSync(index)) return null;
  const configFile = options.configFile ?? join(projectRoot, 'renderer', 'vite.config.ts');
  if (!existsSync(configFile)) {
    return `the renderer is not built (${index} is missing) and ${configFile} is absent`;
  }
  let vite: ViteBuildApi;
  try {
    vite = await (options.loadVite ?? loadVite)();
  } catch {
    return 'the renderer is not built and vite is not installed here: run npm run build:renderer in a checkout';
  }
  log('building the renderer (first run only)…');
  try {
    await vite.build({ configFile, logLevel: 'warn' });
  } catch (error) {
    const reason = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    return `building the renderer failed (${reason}): run npm run build:renderer to see why`;
  }
  return existsSync(index)
    ? null
    : `the renderer build did not produce ${index}: run npm run build:renderer`;
}

async function loadVite(): Promise<ViteBuildApi> {
  // A variable specifier keeps vite (a dev dependency) out of the CLI's static imports.
  const name = 'vite';
  return (await import(name)) as ViteBuildApi;
}
