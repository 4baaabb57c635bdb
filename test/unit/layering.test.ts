import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|tsx|mts)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Every module specifier a file imports, statically or dynamically. */
export function importsOf(text: string): string[] {
  const specs: string[] = [];
  const pattern =
    /(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const match of text.matchAll(pattern)) specs.push(match[1] ?? match[2] ?? match[3] ?? '');
  return specs;
}

/** Imports of a folder that resolve into `forbidden` (repo-relative prefixes) or name a forbidden package. */
function violations(
  dir: string,
  forbidden: { packages: string[]; folders: string[]; targets?: RegExp },
): string[] {
  const found: string[] = [];
  for (const file of sourceFiles(dir)) {
    for (const spec of importsOf(readFileSync(join(root, file), 'utf8'))) {
      if (forbidden.packages.some((p) => spec === p || spec.startsWith(`${p}/`))) {
        found.push(`${file} imports ${spec}`);
      } else if (spec.startsWith('.')) {
        const target = relative(root, resolve(root, dirname(file), spec));
        const inFolder = forbidden.folders.some((f) => target === f || target.startsWith(`${f}/`));
        if (inFolder || forbidden.targets?.test(target)) {
          found.push(`${file} imports ${target}`);
        }
      }
    }
  }
  return found;
}

describe('layering', () => {
  it('finds imports of every form (the checker itself can fail)', () => {
    const text = `import { app } from 'electron';\nimport type { X } from "../serve/x";\nconst m = await import('electron');\nexport * from './y';`;
    expect(importsOf(text)).toEqual(['electron', '../serve/x', 'electron', './y']);
  });

  it('electron/core never imports electron, a host or the renderer', () => {
    expect(
      violations('electron/core', {
        packages: ['electron'],
        folders: ['electron/serve', 'electron/cli', 'renderer', 'test'],
        // The Electron adapters are the files directly in electron/ (main, preload, tray…).
        targets: /^electron\/[^/]+$/,
      }),
    ).toEqual([]);
  });

  it('catches a core file reaching an Electron adapter by a relative path', () => {
    const target = relative(root, resolve(root, 'electron/core/notify', '../../tray'));
    expect(/^electron\/[^/]+$/.test(target)).toBe(true);
    expect(
      /^electron\/[^/]+$/.test(
        relative(root, resolve(root, 'electron/core/notify', '../tray/tray-state')),
      ),
    ).toBe(false);
  });

  it('shared/ imports nothing but zod and itself', () => {
    expect(
      violations('shared', { packages: ['electron'], folders: ['electron', 'renderer', 'test'] }),
    ).toEqual([]);
    for (const file of sourceFiles('shared')) {
      for (const spec of importsOf(readFileSync(join(root, file), 'utf8'))) {
        expect(spec === 'zod' || spec.startsWith('./'), `${file} imports ${spec}`).toBe(true);
      }
    }
  });

  it('renderer/ never imports electron or electron/core', () => {
    expect(
      violations('renderer', { packages: ['electron'], folders: ['electron', 'test'] }),
    ).toEqual([]);
  });
});
