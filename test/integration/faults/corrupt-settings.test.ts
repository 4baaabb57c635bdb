import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnv, runCli } from '../cli/run-cli';
import { faultTally } from './tally';

/*
 * A settings file that is corrupt (torn by a crash, hand-edited wrong): the hosts refuse to
 * start on it with a message naming the file and the problem, keep a copy of it beside it
 * (`<file>.corrupt-<time>`) and say that nothing runs until it is fixed. They never fall
 * back to defaults (which would mean default kill settings), never rewrite the file, and
 * start nothing: no state directory, no audit log, no reaper.
 */
const tally = faultTally('corrupt settings');
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rw-corrupt-settings-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  tally.print();
});

const valid = (stateDir: string) =>
  JSON.stringify({
    fleets: [{ id: 'ci', reaper: { mode: 'auto', diskThresholdPct: 90, minFleetSize: 3 } }],
    stateDir,
  });

const corruptions: [string, (text: string) => string][] = [
  ['torn in the middle', (t) => t.slice(0, Math.floor(t.length / 2))],
  ['empty', () => ''],
  ['NUL bytes', (t) => t.replace('"ci"', '"c\u0000i"').slice(0, -3) + '\u0000\u0000'],
  [
    'a wrong type in the reaper settings',
    (t) => t.replace('"diskThresholdPct":90', '"diskThresholdPct":"ninety"'),
  ],
  ['an unknown mode', (t) => t.replace('"mode":"auto"', '"mode":"yolo"')],
];

// Every corruption on `scan`; the two that matter most on the long-running and killing hosts
// (each run is a Node start-up, a few seconds on a loaded machine).
const plan: [string, typeof corruptions][] = [
  ['scan', corruptions],
  ['serve', corruptions.filter(([n]) => /torn|wrong type/.test(n))],
  ['reap', corruptions.filter(([n]) => /torn|unknown mode/.test(n))],
];

const copiesOf = (file: string) =>
  readdirSync(dir)
    .filter((name) => name.startsWith(`${basename(file)}.corrupt-`))
    .map((name) => join(dir, name));

describe.each(plan)('%s on a corrupt settings file', (command, cases) => {
  it.each(cases)(
    '%s: refuses with the file named, file untouched, nothing started',
    async (name, corrupt) => {
      tally.inject(`${command}: ${name}`);
      const stateDir = join(dir, `state-${command}-${name.replace(/\W+/g, '-')}`);
      const file = join(dir, `fleet-${command}-${name.replace(/\W+/g, '-')}.json`);
      const text = corrupt(valid(stateDir));
      writeFileSync(file, text);
      const args =
        command === 'serve'
          ? ['serve', '--config', file, '--port', '0']
          : command === 'reap'
            ? ['reap', '--config', file, '--dry-run']
            : ['scan', '--config', file];
      const run = await runCli(args, { env: childEnv({ NO_COLOR: '1' }) });
      expect(run.code, run.stdout + run.stderr).not.toBe(0);
      expect(run.stderr).toContain(file);
      expect(run.stderr).toMatch(/config/);
      expect(run.stdout).not.toMatch(/Runner Watch: http/);
      expect(readFileSync(file, 'utf8')).toBe(text);
      expect(existsSync(stateDir)).toBe(false);
      // the copy: named in the message, same text, and the message says nothing runs
      const copies = copiesOf(file);
      expect(copies).toHaveLength(1);
      expect(run.stderr).toContain(`a copy is kept at ${copies[0]}`);
      expect(readFileSync(copies[0]!, 'utf8')).toBe(text);
      expect(run.stderr).toContain('no machine is watched and the reaper does nothing');
      tally.survived(`${command}: ${name}`);
    },
  );
});

it('a host restarted on the same broken file keeps one copy; a new breakage gets its own', async () => {
  tally.inject('restart loop on a corrupt file');
  const file = join(dir, 'restart-loop.json');
  const stateDir = join(dir, 'state-restart-loop');
  writeFileSync(file, valid(stateDir).slice(0, 20));
  const env = childEnv({ NO_COLOR: '1' });
  for (let i = 0; i < 2; i++) {
    const run = await runCli(['scan', '--config', file], { env });
    expect(run.code).not.toBe(0);
  }
  expect(copiesOf(file)).toHaveLength(1);
  writeFileSync(file, valid(stateDir).replace('"mode":"auto"', '"mode":"yolo"'));
  const run = await runCli(['scan', '--config', file], { env });
  expect(run.code).not.toBe(0);
  expect(copiesOf(file)).toHaveLength(2);
  expect(existsSync(stateDir)).toBe(false);
  tally.survived('restart loop on a corrupt file');
});
