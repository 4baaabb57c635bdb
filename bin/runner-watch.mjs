#!/usr/bin/env node
// The `runner-watch` command. The CLI is TypeScript run through tsx, so it works from a
// checkout after `npm ci` and after `npm install -g .` without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import(new URL('../electron/cli/main.ts', import.meta.url).href);
const code = await main(process.argv.slice(2), { handleSignals: true });
process.exitCode = code;
// Something left open (a socket a source forgot) must not keep a finished command alive.
setTimeout(() => process.exit(code), 3000).unref();
