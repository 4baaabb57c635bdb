#!/usr/bin/env node
// Builds the Electron entry points: main as ESM (Electron ≥ 28 loads it natively, with
// npm dependencies left external), and the preload as one CommonJS file with shared/ and
// zod bundled in, because a sandboxed preload cannot load other files.
import { builtinModules } from 'node:module';
import { readFileSync } from 'node:fs';
import { build } from 'vite';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const external = [
  'electron',
  ...builtinModules,
  ...builtinModules.map((m) => `node:${m}`),
  ...Object.keys(pkg.dependencies ?? {}),
];
const isExternal = (id) => external.some((e) => id === e || id.startsWith(`${e}/`));

const common = { configFile: false, logLevel: 'warn', publicDir: false };
await build({
  ...common,
  build: {
    outDir: 'dist/electron',
    emptyOutDir: true,
    target: 'node22',
    minify: false,
    sourcemap: true,
    ssr: true,
    rollupOptions: {
      input: { main: 'electron/main.ts' },
      external: isExternal,
      output: { format: 'es', entryFileNames: '[name].js' },
    },
  },
});
await build({
  ...common,
  build: {
    outDir: 'dist/electron',
    emptyOutDir: false,
    target: 'chrome130',
    minify: false,
    ssr: true,
    ssrEmitAssets: false,
    rollupOptions: {
      input: { preload: 'electron/preload.ts' },
      external: (id) => id === 'electron',
      output: { format: 'cjs', entryFileNames: '[name].cjs' },
    },
  },
  ssr: { noExternal: true },
});
console.log('built dist/electron/main.js and dist/electron/preload.cjs');
