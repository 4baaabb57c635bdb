// The README promises Node ≥ 20.19 (package.json `engines`). Every package the app needs
// at run time must accept that, so `npm ci` on Node 20 prints no EBADENGINE warning for
// them. The only packages allowed to want more are the development tools that download
// and package Electron itself (Electron ≥ 41's npm package and electron-builder's rebuild
// chain want Node ≥ 22.12); docs/development.md says so.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const semver = require('semver') as {
  minVersion(range: string): { version: string } | null;
  satisfies(version: string, range: string): boolean;
};

interface LockEntry {
  version?: string;
  dev?: boolean;
  engines?: { node?: string } | string[];
}

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as {
  packages: Record<string, LockEntry>;
};
const minimum = semver.minVersion(pkg.engines.node)!.version;

function wantsMore(entry: LockEntry): string | null {
  const node = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
  return node && !semver.satisfies(minimum, node) ? node : null;
}

describe(`packages on the stated runtime (Node ${pkg.engines.node})`, () => {
  it('every run-time dependency accepts the oldest Node the README promises', () => {
    const offending = Object.entries(lock.packages)
      .filter(([path, entry]) => path !== '' && !entry.dev && wantsMore(entry))
      .map(([path, entry]) => `${path} wants node ${wantsMore(entry)}`);
    expect(offending).toEqual([]);
  });

  it('only the Electron download and packaging tools want a newer Node', () => {
    const allowed = new Set([
      'electron',
      '@electron/get',
      '@electron-internal/extract-zip',
      '@electron/rebuild',
      'node-abi',
    ]);
    const dev = Object.entries(lock.packages)
      .filter(([path, entry]) => path !== '' && entry.dev && wantsMore(entry))
      .map(([path]) => path.replace(/^.*node_modules\//, ''));
    expect(dev.filter((name) => !allowed.has(name))).toEqual([]);
  });

  it('uses electron-store 11 / conf 15, the last majors that run on Node 20', () => {
    expect(lock.packages['node_modules/electron-store']?.version).toMatch(/^11\./);
    expect(lock.packages['node_modules/conf']?.version).toMatch(/^15\./);
  });
});
