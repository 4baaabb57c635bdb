#!/usr/bin/env node
// The `runner-watch` command. The CLI is TypeScript run through tsx, so it works from a
// checkout after `npm ci` and after `npm install -g .` without a build step.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

// Our own tsconfig, not whatever tsconfig.json sits in the directory the user runs us from.
const tsconfig = fileURLToPath(new URL('../tsconfig.json', import.meta.url));
register({ tsconfig: existsSync(tsconfig) ? tsconfig : false });
let main;
try {
  ({ main } = await import(new URL('../electron/cli/main.ts', import.meta.url).href));
} catch (error) {
  // A broken install or a module that fails to load is an internal error: one line, exit 1.
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(
    `runner-watch: internal error: cannot load the CLI: ${message.split('\n')[0]}\n`,
  );
  if (process.env.RW_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  process.exit(1);
}
const code = await main(process.argv.slice(2), { handleSignals: true });
process.exitCode = code;
// Something left open (a socket a source forgot) must not keep a finished command alive.
setTimeout(() => process.exit(code), 3000).unref();
