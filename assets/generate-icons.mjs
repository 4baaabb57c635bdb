#!/usr/bin/env node
// The icons' source: a tray icon per fleet state (a filled disc with a ring, the state's
// colour, plus @2x for HiDPI) and the app icon. Writes PNGs with node:zlib only, so the
// icons can be regenerated anywhere: `node assets/generate-icons.mjs`.
import { writeFileSync, mkdirSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const states = {
  ok: [46, 160, 67],
  warning: [230, 162, 0],
  critical: [214, 48, 49],
  disconnected: [128, 128, 128],
};

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
function png(size, pixel) {
  const rows = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 4);
    for (let x = 0; x < size; x++) row.set(pixel(x, y), 1 + x * 4);
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
/** A disc of `rgb` with a white inner ring; anti-aliased by distance. */
function disc(size, rgb) {
  const c = (size - 1) / 2;
  const r = size * 0.45;
  return png(size, (x, y) => {
    const d = Math.hypot(x - c, y - c);
    const alpha = Math.max(0, Math.min(1, r - d + 0.5));
    const ring = Math.abs(d - r * 0.55) < size * 0.06;
    const [red, green, blue] = ring ? [255, 255, 255] : rgb;
    return [red, green, blue, Math.round(alpha * 255)];
  });
}

mkdirSync(join(here, 'tray'), { recursive: true });
for (const [name, rgb] of Object.entries(states)) {
  writeFileSync(join(here, 'tray', `${name}.png`), disc(16, rgb));
  writeFileSync(join(here, 'tray', `${name}@2x.png`), disc(32, rgb));
}
writeFileSync(join(here, 'icon.png'), disc(512, states.ok));
console.log('wrote assets/tray/*.png and assets/icon.png');
