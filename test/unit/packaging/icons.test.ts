import { Resvg } from '@resvg/resvg-js';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- plain ESM build scripts without type declarations
import { generateIcons } from '../../../assets/generate-icons.mjs';
// @ts-expect-error -- plain ESM build scripts without type declarations
import { icoFromPngs, pngSize } from '../../../assets/ico.mjs';
import { TRAY_ICONS } from '../../../electron/core/tray/tray-state';
import { trayIconFile } from '../../../electron/app';

const generated = (generateIcons as () => Map<string, Buffer>)();

describe('icons', () => {
  it('are generated from the SVG sources: the committed files match byte for byte', () => {
    expect(generated.size).toBe(22);
    for (const [name, bytes] of generated) {
      expect(readFileSync(`assets/${name}`).equals(bytes), `assets/${name} is stale`).toBe(true);
    }
  });

  it('exist for every tray state on every platform, at 1x and 2x', () => {
    for (const icon of TRAY_ICONS) {
      for (const platform of ['linux', 'darwin', 'win32'] as const) {
        expect(existsSync(trayIconFile(icon, platform)), `${icon} ${platform}`).toBe(true);
      }
      const size = pngSize as (png: Buffer) => { width: number; height: number };
      expect(size(readFileSync(`assets/tray/${icon}.png`))).toEqual({ width: 16, height: 16 });
      expect(size(readFileSync(`assets/tray/${icon}@2x.png`))).toEqual({ width: 32, height: 32 });
      expect(size(readFileSync(`assets/tray/${icon}Template@2x.png`)).width).toBe(32);
    }
  });

  it('makes macOS template images from black and alpha only, and colour ones in colour', () => {
    const pixels = (file: string) =>
      new Resvg(readFileSync(`assets/src/${file}`), {
        fitTo: { mode: 'width', value: 32 },
      }).render().pixels;
    for (const icon of TRAY_ICONS) {
      const rgba = pixels(`${icon}Template.svg`);
      let opaque = 0;
      for (let i = 0; i < rgba.length; i += 4) {
        if (rgba[i + 3] === 0) continue;
        opaque += 1;
        expect([rgba[i], rgba[i + 1], rgba[i + 2]], `${icon}Template pixel ${i / 4}`).toEqual([
          0, 0, 0,
        ]);
      }
      expect(opaque, `${icon}Template draws something`).toBeGreaterThan(100);
      const colour = pixels(`${icon}.svg`);
      expect(colour.some((v, i) => i % 4 !== 3 && v > 100)).toBe(true);
    }
  });

  it('writes .ico files Windows can read: a directory of embedded PNGs', () => {
    const ico = readFileSync('assets/icon.ico');
    expect(ico.readUInt16LE(0)).toBe(0);
    expect(ico.readUInt16LE(2)).toBe(1);
    const count = ico.readUInt16LE(4);
    expect(count).toBe(7);
    const sizes: number[] = [];
    for (let i = 0; i < count; i++) {
      const entry = 6 + 16 * i;
      const width = ico.readUInt8(entry) || 256;
      const length = ico.readUInt32LE(entry + 8);
      const offset = ico.readUInt32LE(entry + 12);
      const png = ico.subarray(offset, offset + length);
      expect(pngSize(png).width).toBe(width);
      sizes.push(width);
    }
    expect(sizes).toEqual([16, 24, 32, 48, 64, 128, 256]);
    expect(() => (icoFromPngs as (p: Buffer[]) => Buffer)([Buffer.from('nope')])).toThrow(
      'not a PNG',
    );
  });
});
