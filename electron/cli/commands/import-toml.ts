import { FILE_LIMITS, FileReadError, readBoundedText } from '../../core/read-bounded-file';
import { resolve } from 'node:path';
import { proposeFromRunnerToml } from '../../core/config/runner-toml';
import { UsageError, type CliCommand } from '../command';
import { flag, requiredString, stringOption } from '../option-values';

/**
 * `import-toml`: proposes Runner Watch settings from a GitLab Runner `config.toml`. Prints
 * the proposal as JSON on stdout (ready to save as a config file once the tokens are set)
 * and what is left to do on stderr. No token of the file is ever printed or stored: each
 * becomes an `{"env": …}` reference to fill in.
 */
export const importTomlCommand: CliCommand = {
  name: 'import-toml',
  summary: 'propose settings from a GitLab Runner config.toml (tokens are never copied)',
  usage: 'import-toml --file CONFIG.TOML [--manager ALIAS] [--trust-on-first-use]',
  options: {
    file: { type: 'string', short: 'f' },
    manager: { type: 'string' },
    'trust-on-first-use': { type: 'boolean' },
  },
  optionHelp: {
    file: 'CONFIG.TOML  the runner configuration, e.g. /etc/gitlab-runner/config.toml',
    manager: 'ALIAS  SSH alias of the host this config.toml belongs to (the runner manager)',
    'trust-on-first-use':
      "record each autoscaled VM's SSH host key on first contact (under its machine name)",
  },
  async run(context, args) {
    const path = resolve(context.cwd, requiredString(args, 'file', 'CONFIG.TOML'));
    let text: string;
    try {
      // Same bound and FIFO guard as the JSON config: a runner config.toml is a few KB.
      text = await readBoundedText(path, { maxBytes: FILE_LIMITS.config, label: 'file' });
    } catch (error) {
      throw new UsageError(error instanceof FileReadError ? error.message : `cannot read ${path}`);
    }
    const manager = stringOption(args, 'manager');
    const proposal = await proposeFromRunnerToml(text, {
      origin: path,
      ...(manager ? { managerAlias: manager } : {}),
      ...(flag(args, 'trust-on-first-use') ? { trustOnFirstUse: true } : {}),
    });
    context.out(JSON.stringify(proposal.settings, null, 2));
    for (const runner of proposal.runners) {
      context.err(`runner ${runner.name} (${runner.executor}) → ${runner.fleet ?? 'not watched'}`);
    }
    for (const note of proposal.notes) context.err(`note: ${note}`);
    return 0;
  },
};
