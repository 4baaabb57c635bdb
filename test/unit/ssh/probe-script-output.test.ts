import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseProbeOutput } from '../../../electron/core/sources/ssh/probe-parse';
import { probeCommand } from '../../../electron/core/sources/ssh/probe-script';

/*
 * The probe writes its answer in one piece at the end, not section by section: sshd keeps
 * Nagle on for sessions without a terminal, and small writes spread over the script's run
 * each wait for the client's delayed ACK (bench/ssh-fleet.ts measured ~50–80 ms a probe).
 * Checked by order, not time: when the first byte arrives, the last section has run.
 */
describe('probe script output', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  const tool = (dir: string, name: string, body: string) => {
    const file = join(dir, name);
    writeFileSync(file, `#!/bin/sh\n${body}\n`);
    chmodSync(file, 0o755);
  };

  it('prints nothing until the last section has run, then the whole answer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-probe-out-'));
    dirs.push(dir);
    const lastRan = join(dir, 'last-ran');
    const firstByte = join(dir, 'first-byte');
    // The first df waits (up to 1 s) for the test to see output: a script that printed its
    // first section at once would be seen before the last section (pgrep) ran.
    tool(
      dir,
      'df',
      `if [ ! -e "${dir}/waited" ]; then : >"${dir}/waited"; i=0; while [ ! -e "${firstByte}" ] && [ $i -lt 10 ]; do sleep 0.1; i=$((i+1)); done; fi; exec /bin/df "$@"`,
    );
    tool(dir, 'pgrep', `: >"${lastRan}"; exit 1`);
    const { argv, nonce } = probeCommand({ mounts: ['/'], volumes: false });
    const child = spawn(argv[0]!, argv.slice(1), {
      env: { PATH: `${dir}:/usr/bin:/bin` },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let output = '';
    let lastRanAtFirstByte: boolean | null = null;
    child.stdout.on('data', (chunk: Buffer) => {
      if (lastRanAtFirstByte === null) {
        lastRanAtFirstByte = existsSync(lastRan);
        writeFileSync(firstByte, '');
      }
      output += chunk.toString('utf8');
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(lastRanAtFirstByte).toBe(true);
    const report = parseProbeOutput(output, nonce, { mounts: ['/'], volumes: false });
    expect(report.complete).toBe(true);
    expect(report.disks?.map((d) => d.mount)).toEqual(['/']);
    expect(report.runsGitlabRunner).toBe(false);
    expect(output.endsWith(`@@${nonce} done\n`)).toBe(true);
  });

  /*
   * Every process the probe starts runs on the host every cycle. The stderr of a section is
   * read with `cat` only when the command wrote some: on a healthy host that is none of the
   * ten sections, so the probe's cat calls are the two /proc reads.
   */
  const run = async (dir: string, env: Record<string, string> = {}) => {
    const { argv, nonce } = probeCommand({ mounts: ['/'], volumes: false });
    const child = spawn(argv[0]!, argv.slice(1), {
      env: { PATH: `${dir}:/usr/bin:/bin`, ...env },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    return parseProbeOutput(output, nonce, { mounts: ['/'], volumes: false });
  };
  const countingCat = (dir: string) => {
    const log = join(dir, 'cat.log');
    tool(dir, 'cat', `printf '%s\\n' "$*" >>"${log}"; exec /bin/cat "$@"`);
    tool(dir, 'docker', 'exit 0');
    tool(dir, 'pgrep', 'exit 1');
    return () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []);
  };

  it('reads no empty stderr: cat runs only for the two /proc files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-probe-cat-'));
    dirs.push(dir);
    const calls = countingCat(dir);
    const report = await run(dir);
    expect(report.complete).toBe(true);
    expect(report.errors).toEqual([]);
    expect(calls()).toEqual(['/proc/loadavg', '/proc/meminfo']);
  });

  it("still carries a section's stderr when the command wrote some", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-probe-cat-'));
    dirs.push(dir);
    const calls = countingCat(dir);
    tool(dir, 'nproc', 'echo "nproc: cannot read the CPU set" >&2; exit 1');
    const report = await run(dir);
    expect(report.complete).toBe(true);
    expect(report.errors.join('\n')).toContain('nproc: cannot read the CPU set');
    expect(calls()).toHaveLength(3);
  });
});
