import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Finds a runnable Electron binary the way the `electron` package would, without loading
 * that package (its index downloads the binary when missing, which cannot work offline):
 * `ELECTRON_OVERRIDE_DIST_PATH`, else `path.txt` naming a file in `node_modules/electron/dist`.
 * Returns null when there is none.
 */
export function findElectronBinary(
  env: Readonly<Record<string, string | undefined>>,
  packageDir: string | null = electronPackageDir(),
): string | null {
  const pathTxt = packageDir ? readText(join(packageDir, 'path.txt')) : null;
  const override = env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) {
    const candidate = join(override, pathTxt || 'electron');
    return existsSync(candidate) ? candidate : null;
  }
  if (!packageDir || !pathTxt) return null;
  const candidate = join(packageDir, 'dist', pathTxt);
  return existsSync(candidate) ? candidate : null;
}

function electronPackageDir(): string | null {
  try {
    return dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return null;
  }
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}
