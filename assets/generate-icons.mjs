#!/usr/bin/env node
// Generates every icon from the SVG sources in assets/src/ (the only hand-edited files):
//   assets/tray/<state>.png, <state>@2x.png      tray icons, 16 and 32 px (Linux, Windows fallback)
//   assets/tray/<state>Template.png, …@2x.png    macOS template images (black + alpha; the OS tints them)
//   assets/tray/<state>.ico                      Windows tray icons (16, 24, 32, 48 px)
//   assets/icon.png, assets/icon.ico             app icon, 512 px and 16–256 px
// Rasterised with resvg (a deterministic renderer: the same sources give the same bytes),
// so `node assets/generate-icons.mjs --check` can tell when a PNG no longer matches its SVG.
import { Resvg } from '@resvg/resvg-js';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { icoFromPngs } from './ico.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const states = ['ok', 'warning', 'critical', 'disconnected'];

function render(svgFile, size) {
  const svg = readFileSync(join(here, 'src', svgFile));
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'width', value: size },
    background: 'rgba(0,0,0,0)',
  });
  return Buffer.from(resvg.render().asPng());
}

/** Every generated file and its bytes. */
export function generateIcons() {
  const files = new Map();
  for (const state of states) {
    files.set(`tray/${state}.png`, render(`${state}.svg`, 16));
    files.set(`tray/${state}@2x.png`, render(`${state}.svg`, 32));
    files.set(`tray/${state}Template.png`, render(`${state}Template.svg`, 16));
    files.set(`tray/${state}Template@2x.png`, render(`${state}Template.svg`, 32));
    files.set(
      `tray/${state}.ico`,
      icoFromPngs([16, 24, 32, 48].map((s) => render(`${state}.svg`, s))),
    );
  }
  files.set('icon.png', render('icon.svg', 512));
  files.set(
    'icon.ico',
    icoFromPngs([16, 24, 32, 48, 64, 128, 256].map((s) => render('icon.svg', s))),
  );
  return files;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  const stale = [];
  for (const [name, bytes] of generateIcons()) {
    const path = join(here, name);
    if (check) {
      if (!existsSync(path) || !readFileSync(path).equals(bytes))
        stale.push(relative(process.cwd(), path));
      continue;
    }
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
  }
  if (check && stale.length > 0) {
    console.error(`out of date (run node assets/generate-icons.mjs): ${stale.join(', ')}`);
    process.exit(1);
  }
  console.log(
    check ? 'icons match their sources' : 'wrote assets/tray/* and assets/icon.{png,ico}',
  );
}
