// `npm run bench`: every bench script in bench/, one after another, each in its own
// process (so memory figures are per bench and one crash does not end the run). Prints a
// summary of the targets each bench wrote to bench/results/<name>.json. A missed target is
// reported, not an exit status: figures depend on the machine (see bench/README.md).
// Pick benches with `npm run bench -- collection-cycle memory`.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const here = fileURLToPath(new URL('.', import.meta.url));
const wanted = new Set(process.argv.slice(2));
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -'.ts'.length))
  .filter((name) => wanted.size === 0 || wanted.has(name))
  .sort();

interface Outcome {
  bench: string;
  exit: number | string;
  seconds: number;
  wrote: boolean;
}
const outcomes: Outcome[] = [];
for (const bench of benches) {
  const result = join(here, 'results', `${bench}.json`);
  const before = existsSync(result) ? statSync(result).mtimeMs : 0;
  console.log(`\n=== ${bench} ===`);
  const started = performance.now();
  const exit = await new Promise<number | string>((resolve) => {
    const child = spawn(
      process.execPath,
      [join(here, '..', 'bin', 'tsx.mjs'), join(here, `${bench}.ts`)],
      {
        stdio: 'inherit',
      },
    );
    child.on('exit', (code, signal) => resolve(signal ?? code ?? 0));
  });
  const wrote = existsSync(result) && statSync(result).mtimeMs > before;
  outcomes.push({ bench, exit, seconds: Math.round((performance.now() - started) / 1000), wrote });
}

console.log('\n=== summary ===');
for (const o of outcomes) {
  const status = o.exit === 0 ? 'ok' : `FAILED (exit ${o.exit})`;
  console.log(`${o.bench}: ${status}, ${o.seconds} s${o.wrote ? '' : ', no new results file'}`);
  if (!o.wrote) continue;
  const body = JSON.parse(readFileSync(join(here, 'results', `${o.bench}.json`), 'utf8')) as {
    targets?: { what: string; target: string; value: unknown; met: boolean }[];
    maxRssMiB?: number;
  };
  for (const t of body.targets ?? [])
    console.log(
      `  ${t.met ? 'met   ' : 'MISSED'} ${t.what}: ${String(t.value)} (target ${t.target})`,
    );
  if (body.maxRssMiB !== undefined) console.log(`  bench process peak RSS ${body.maxRssMiB} MiB`);
}
