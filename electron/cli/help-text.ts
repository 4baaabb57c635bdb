import type { CliCommand } from './command';

/** `runner-watch --help`: usage and the command list. */
export function formatOverview(commands: readonly CliCommand[], version: string): string[] {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `runner-watch ${version}: watch GitLab runner fleets (disks, jobs, stuck VMs)`,
    '',
    'Usage: runner-watch <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "runner-watch <command> --help shows a command's options. Docs: docs/cli.md",
    'Exit codes: 0 ok, 1 internal error, 2 usage or config error (or every source failed).',
  ];
}

/** `runner-watch <command> --help`. */
export function formatCommandHelp(command: CliCommand): string[] {
  const entries = Object.entries({ ...command.optionHelp, help: 'show this help' });
  const labels = entries.map(([name]) => {
    const short = command.options[name]?.short ?? (name === 'help' ? 'h' : undefined);
    return short ? `-${short}, --${name}` : `    --${name}`;
  });
  const width = Math.max(...labels.map((l) => l.length));
  return [
    `Usage: runner-watch ${command.usage}`,
    '',
    command.summary,
    '',
    'Options:',
    ...entries.map(([, text], i) => `  ${labels[i]!.padEnd(width)}  ${text}`),
    ...(command.details ? ['', ...command.details.split('\n')] : []),
  ];
}
