import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './project-paths';

/**
 * Makes sure the built renderer exists, building it with vite's JS API when it does not.
 * Returns null when it is there (or was built), else a message saying what the user can do.
 */
export async function ensureRendererBuilt(
  rendererDir: string,
  log: (line: string) => void,
): Promise<string | null> {
  if (existsSync(join(rendererDir, 'index.html'))) return null;
  const configFile = join(projectRoot, 'renderer', 'vite.config.ts');
  if (!existsSync(configFile)) {
    return `the renderer is not built (${join(rendererDir, 'index.html')} is missing) and renderer/vite.config.ts is absent`;
  }
  let vite: {
    build(config: {
      configFile: string;
      root?: string;
      logLevel?: 'warn' | 'error';
    }): Promise<unknown>;
  };
  try {
    // A variable specifier keeps vite (a dev dependency) out of the CLI's static imports.
    const name = 'vite';
    vite = (await import(name)) as typeof vite;
  } catch {
    return 'the renderer is not built and vite is not installed here: run npm run build:renderer in a checkout';
  }
  log('building the renderer (first run only)…');
  try {
    await vite.build({ configFile, logLevel: 'warn' });
  } catch (error) {
    return `building the renderer failed (${error instanceof Error ? error.message.split('\n')[0] : String(error)}): run npm run build:renderer to see why`;
  }
  return existsSync(join(rendererDir, 'index.html'))
    ? null
    : `the renderer build did not produce ${join(rendererDir, 'index.html')}: run npm run build:renderer`;
}
