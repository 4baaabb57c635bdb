import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalShellExec } from '../../../electron/core/reaper/remote-exec';
import { shellJoin } from '../../../electron/core/sources/ssh/shell-quote';

/*
 * Machine, runner, volume and job names come from remote systems (Hetzner, GitLab,
 * docker-machine ls, docker ps) and may hold shell syntax. They reach a shell only as
 * quoted arguments, through one quoting function; this checks both the code paths and the
 * behaviour against a real /bin/sh.
 */
const root = new URL('../../../electron/', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const HOSTILE_NAMES = [
  'runner-$(touch CANARY)',
  'runner-`touch CANARY`',
  "runner-'; touch CANARY; echo '",
  'runner-"$(touch CANARY)"',
  'runner-a;touch CANARY',
  'runner-a|touch CANARY',
  'runner-a&&touch CANARY',
  'runner-a\ntouch CANARY',
  'runner-a\r\ntouch CANARY',
  'runner-${IFS}touch${IFS}CANARY',
  'runner->CANARY',
  '--help',
  '-y',
  'runner-ünïcödé-日本-🚀',
  'runner-\u202etxt.exe',
  'runner-*',
  '~root',
  ' leading and trailing ',
];

describe('remote commands are built from argv through one quoting function', () => {
  const files = sources(root).map((path) => ({
    path: relative(root, path),
    text: readFileSync(path, 'utf8'),
  }));

  it('only the SSH pool hands a command line to ssh2, and it comes from shellJoin', () => {
    const execCalls = files.filter((f) => /\bclient\.exec\(/.test(f.text));
    expect(execCalls.map((f) => f.path)).toEqual(['core/sources/ssh/pool.ts']);
    const pool = execCalls[0]!.text;
    const commandVar = /client\.exec\((\w+)/.exec(pool)?.[1];
    expect(commandVar).toBeDefined();
    expect(pool).toMatch(new RegExp(`const ${commandVar} = shellJoin\\(argv\\)`));
  });

  it("no other module quotes for the shell itself (the '\\'' splice lives in shell-quote.ts)", () => {
    const quoting = files.filter((f) => f.text.includes(`'\\\\''`)).map((f) => f.path);
    expect(quoting).toEqual(['core/sources/ssh/shell-quote.ts']);
  });

  it('no child process is started with a shell or a command string built from data', () => {
    for (const f of files) {
      expect(f.text, f.path).not.toMatch(/shell:\s*true/);
      expect(f.text, f.path).not.toMatch(/\bexecSync\(|\bexec\(\s*`/);
      // the one local `sh -c` (LocalShellExec) runs a line made by shellJoin
      for (const m of f.text.matchAll(/spawn\('\/bin\/sh', \['-c', (\w+)\]/g))
        expect(f.text, f.path).toMatch(new RegExp(`const ${m[1]} = shellQuote\\(argv\\)`));
    }
  });
});

describe('hostile names through a real shell', () => {
  let dir: string;
  let exec: LocalShellExec;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rw-hostile-'));
    // a docker-machine that writes each argument it received, NUL-separated
    const tool = join(dir, 'docker-machine');
    writeFileSync(tool, `#!/bin/sh\nprintf '%s\\0' "$@" > "${join(dir, 'args')}"\n`);
    chmodSync(tool, 0o755);
    exec = new LocalShellExec({ PATH: `${dir}:/usr/bin:/bin`, HOME: dir });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(HOSTILE_NAMES)(
    'docker-machine rm -y %j gets the name as one argument, nothing runs',
    async (template) => {
      // an absolute canary, so a command that did run would leave it where we look
      const name = template.replaceAll('CANARY', join(dir, 'CANARY'));
      const result = await exec.exec('manager', ['docker-machine', 'rm', '-y', name]);
      expect(result.code).toBe(0);
      const args = readFileSync(join(dir, 'args'), 'utf8').split('\0').slice(0, -1);
      expect(args).toEqual(['rm', '-y', name]);
      expect(existsSync(join(dir, 'CANARY'))).toBe(false);
      expect(readdirSync(dir).sort()).toEqual(['args', 'docker-machine']);
    },
  );

  it('refuses a NUL byte instead of cutting the name short', () => {
    expect(() => shellJoin(['docker-machine', 'rm', '-y', 'runner-a\0b'])).toThrow(/NUL byte/);
  });
});
