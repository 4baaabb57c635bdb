import Ajv from 'ajv';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const require = createRequire(import.meta.url);
const config = parse(readFileSync('electron-builder.yml', 'utf8')) as Record<string, unknown>;
type Platform = { target: string[]; icon?: string; category?: string };

describe('electron-builder.yml', () => {
  it("is valid against the schema electron-builder ships (app-builder-lib's scheme.json)", () => {
    const schema = JSON.parse(
      readFileSync(require.resolve('app-builder-lib/scheme.json'), 'utf8'),
    ) as object;
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(schema);
    const valid = validate(config);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(valid).toBe(true);
    // The check can fail: a misspelt key is refused.
    expect(validate({ ...config, linx: { target: ['deb'] } })).toBe(false);
  });

  it('builds AppImage and deb, dmg and nsis with app id and categories', () => {
    expect(config.appId).toBe('dev.runner-watch.app');
    expect(config.productName).toBe('Runner Watch');
    const linux = config.linux as Platform;
    const mac = config.mac as Platform;
    const win = config.win as Platform;
    expect(linux.target).toEqual(['AppImage', 'deb']);
    expect(linux.category).toBe('Development');
    expect(mac.target).toEqual(['dmg']);
    expect(mac.category).toBe('public.app-category.developer-tools');
    expect(win.target).toEqual(['nsis']);
  });

  it('names icon files that exist, and ships the tray icons the app loads', () => {
    const icons = [
      (config.linux as Platform).icon,
      (config.mac as Platform).icon,
      (config.win as Platform).icon,
      (config.nsis as Record<string, string>).installerIcon,
    ];
    for (const icon of icons) expect(icon && existsSync(icon), String(icon)).toBe(true);
    expect(config.files).toContain('assets/tray/**');
    expect((config.extraMetadata as { main: string }).main).toBe(
      JSON.parse(readFileSync('package.json', 'utf8')).main,
    );
  });

  it('is what npm run dist uses', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.dist).toBe(
      'npm run build && electron-builder --config electron-builder.yml',
    );
  });
});
