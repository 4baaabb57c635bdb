import { describe, expect, it } from 'vitest';
import { main } from '../../../electron/cli/main';
import { UsageError, type CliCommand } from '../../../electron/cli/command';
import { intOption } from '../../../electron/cli/option-values';
import { ConfigError } from '../../../electron/core/errors/config-error';
import { redactor } from '../../../electron/core/errors/redact';
import { commands } from '../../../electron/cli/commands/index';

function fake(name: string, run: CliCommand['run'], extra: Partial<CliCommand> = {}): CliCommand {
  return {
    name,
    summary: `the ${name} command`,
    usage: `${name} [--count N]`,
    options: { count: { type: 'string' }, loud: { type: 'boolean', short: 'l' } },
    optionHelp: { count: 'N  how many', loud: 'say it loud' },
    run,
    ...extra,
  };
}

async function runWith(table: CliCommand[], argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, {
    commands: table,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env: {},
    cwd: '/',
  });
  return { code, out, err };
}

describe('cli main', () => {
  it('dispatches to the longest matching command name and passes parsed options', async () => {
    const seen: unknown[] = [];
    const table = [
      fake('runners', async () => 5),
      fake('runners list', async (_ctx, args) => {
        seen.push(args.values, intOption(args, 'count', 1, 10, 3));
        return 0;
      }),
    ];
    expect((await runWith(table, ['runners', 'list', '--count', '7', '-l'])).code).toBe(0);
    expect(seen).toEqual([{ count: '7', loud: true }, 7]);
    expect((await runWith(table, ['runners'])).code).toBe(5);
  });

  it('asks for the sub-command of a command group', async () => {
    const table = [fake('runners list', async () => 0), fake('runners prune', async () => 0)];
    const { code, err } = await runWith(table, ['runners']);
    expect(code).toBe(2);
    expect(err).toEqual([
      'runner-watch runners: needs a sub-command (list, prune; see runner-watch --help)',
    ]);
  });

  it('prints per-command help with every option', async () => {
    const { code, out } = await runWith([fake('scan', async () => 9)], ['scan', '--help']);
    expect(code).toBe(0);
    expect(out[0]).toBe('Usage: runner-watch scan [--count N]');
    expect(out.join('\n')).toMatch(/--count\s+N {2}how many/);
    expect(out.join('\n')).toMatch(/-l, --loud\s+say it loud/);
    expect(out.join('\n')).toMatch(/-h, --help\s+show this help/);
  });

  it('lists the commands for --help and for help, and exits 2 without a command', async () => {
    const table = [fake('scan', async () => 0), fake('serve', async () => 0)];
    const help = await runWith(table, ['--help']);
    expect(help.code).toBe(0);
    expect(help.out.join('\n')).toMatch(/ {2}scan {3}the scan command/);
    expect((await runWith(table, ['help', 'serve'])).out[0]).toBe(
      'Usage: runner-watch serve [--count N]',
    );
    expect((await runWith(table, [])).code).toBe(2);
  });

  it.each([
    [['frob'], 'runner-watch: unknown command "frob" (commands: scan; see runner-watch --help)'],
    [
      ['scan', '--bogus'],
      'runner-watch scan: unknown option --bogus (see runner-watch scan --help)',
    ],
    [
      ['scan', '--count'],
      'runner-watch scan: option --count needs a value (see runner-watch scan --help)',
    ],
    [
      ['scan', 'extra'],
      'runner-watch scan: unexpected argument "extra" (see runner-watch scan --help)',
    ],
    [
      ['scan', '--count', 'many'],
      'runner-watch scan: --count expects a whole number, got "many" (see runner-watch scan --help)',
    ],
    [
      ['scan', '--count', '11'],
      'runner-watch scan: --count must be between 1 and 10, got 11 (see runner-watch scan --help)',
    ],
  ])('refuses %j with one line and exit 2', async (argv, line) => {
    const table = [
      fake('scan', async (_ctx, args) => {
        intOption(args, 'count', 1, 10, 1);
        return 0;
      }),
    ];
    const { code, err } = await runWith(table, argv);
    expect(code).toBe(2);
    expect(err).toEqual([line]);
  });

  it('reports RwErrors as user errors (exit 2) and other errors as internal (exit 1), without stacks', async () => {
    const table = [
      fake('config', async () => {
        throw new ConfigError('config file /x.json not found');
      }),
      fake('usage', async () => {
        throw new UsageError('--config FILE is required');
      }),
      fake('crash', async () => {
        throw new TypeError('cannot read properties of undefined\n    at somewhere (file.ts:1:1)');
      }),
    ];
    expect(await runWith(table, ['config'])).toMatchObject({
      code: 2,
      err: ['runner-watch config: config file /x.json not found'],
    });
    expect(await runWith(table, ['usage'])).toMatchObject({
      code: 2,
      err: ['runner-watch usage: --config FILE is required (see runner-watch usage --help)'],
    });
    const crash = await runWith(table, ['crash']);
    expect(crash.code).toBe(1);
    expect(crash.err).toEqual([
      'runner-watch crash: internal error: cannot read properties of undefined at somewhere (file.ts:1:1)',
    ]);
  });

  it('scrubs registered secrets from error lines', async () => {
    redactor.register('cli-secret-value-123');
    const table = [
      fake('leak', async () => {
        throw new Error('token cli-secret-value-123 rejected');
      }),
    ];
    const { err } = await runWith(table, ['leak']);
    expect(err.join()).not.toContain('cli-secret-value-123');
    expect(err.join()).toContain('[redacted]');
  });

  it('has unique command names with help for every option', () => {
    const names = commands.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const command of commands) {
      expect(Object.keys(command.optionHelp).sort(), command.name).toEqual(
        Object.keys(command.options).sort(),
      );
    }
  });
});
