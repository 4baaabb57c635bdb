#!/usr/bin/env node
// Runs a TypeScript entry file through tsx: `node bin/tsx.mjs bench/run.ts [args…]`.
import { register as registerCjs } from 'tsx/cjs/api';
import { register } from 'tsx/esm/api';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [entry, ...rest] = process.argv.slice(2);
if (!entry) {
  process.stderr.write('usage: node bin/tsx.mjs FILE.ts [args…]\n');
  process.exit(2);
}
// ESM for the project's own files; CJS too, for .ts files outside a "type": "module" package.
register();
registerCjs();
process.argv = [process.argv[0] ?? 'node', resolve(entry), ...rest];
await import(pathToFileURL(resolve(entry)).href);
