import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { z } from 'zod';

/** The checkout (or the globally installed package): two folders above this file. */
export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Where `npm run build:renderer` puts the renderer. */
export const defaultRendererDir = join(projectRoot, 'dist', 'renderer');

/** The Electron main bundle that `npm run build:electron` writes. */
export const electronMainBundle = join(projectRoot, 'dist', 'electron', 'main.js');

/** The package version, read once from package.json. */
export function packageVersion(): string {
  try {
    const pkg = z
      .object({ version: z.string() })
      .parse(JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')));
    return pkg.version;
  } catch {
    return '0.0.0';
  }
}
