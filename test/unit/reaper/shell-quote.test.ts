import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  LocalShellExec,
  shellQuote,
  shellQuoteArg,
} from '../../../electron/core/reaper/remote-exec';

/** What /bin/sh makes of a quoted line: each argument printed between NUL bytes. */
function throughShell(argv: string[]): string[] {
  const out = execFileSync('/bin/sh', ['-c', `printf '%s\\0' ${shellQuote(argv)}`], {
    encoding: 'utf8',
  });
  return out.split('\0').slice(0, -1);
}

describe('shell quoting', () => {
  it('leaves plain words alone and quotes everything else', () => {
    expect(shellQuoteArg('runner-abc_1.2')).toBe('runner-abc_1.2');
    expect(shellQuoteArg('')).toBe("''");
    expect(shellQuoteArg('a b')).toBe("'a b'");
    expect(shellQuoteArg("it's")).toBe("'it'\\''s'");
  });

  it.each([
    'vm; touch /tmp/rw-pwned',
    '$(id)',
    '`id`',
    'a\'b"c',
    'line\nbreak',
    '*',
    '~root',
    '-rf',
    'a\\b',
    '${HOME}',
    '!event',
    'tab\there',
    'ünïcødé ✓',
  ])('%j reaches the program unchanged through a real shell', (arg) => {
    expect(throughShell(['x', arg]).slice(1)).toEqual([arg]);
  });

  it('any string without NUL survives a real shell (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ unit: 'binary' }).filter((s) => !s.includes('\0')),
          { minLength: 1, maxLength: 4 },
        ),
        (args) => {
          expect(throughShell(args)).toEqual(args);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses NUL and an empty command with a clear error', () => {
    expect(() => shellQuoteArg('a\0b')).toThrow(/NUL byte/);
    expect(() => shellQuote([])).toThrow(/empty command/);
  });

  it('LocalShellExec runs the vector, not a command line', async () => {
    const exec = new LocalShellExec();
    const result = await exec.exec('any', ['printf', '%s|', 'a b', '$(echo injected)']);
    expect(result).toEqual({ code: 0, stdout: 'a b|$(echo injected)|', stderr: '' });
  });

  it('LocalShellExec reports a timeout as an error', async () => {
    const exec = new LocalShellExec();
    await expect(exec.exec('any', ['sleep', '5'], { timeoutMs: 50 })).rejects.toMatchObject({
      code: 'timeout',
    });
  });
});
