import { FILE_LIMITS, FileReadError, readBoundedText } from '../../core/read-bounded-file';
import { join, resolve } from 'node:path';
import { proposeFromRunnerToml } from '../../core/config/runner-toml';
import { expandHome } from '../../core/config/expand-home';
import { FileSecretKeeper } from '../../core/config/secret-files';
import { Settings } from '../../../shared/settings';
import { UsageError, type CliCommand } from '../command';
import { flag, requiredString, stringOption } from '../option-values';

/**
 * `import-toml`: proposes Runner Watch settings from a GitLab Runner `config.toml`. Prints
 * the proposal as JSON on stdout (ready to save as a config file once the tokens are set)
 * and what is left to do on stderr. No token of the file is ever printed or stored: each
 * becomes an `{"env": …}` reference to fill in — unless `--store-tokens` asks to keep the
 * Hetzner tokens in the secret store (0600 files under `<state dir>/secrets/`, referenced
 * as `{"file": …}`); the proposal still never holds a value.
 */
/** The settings' own default state folder, where `serve` also keeps typed secrets. */
const DEFAULT_STATE_DIR = Settings.parse({}).stateDir;

export const importTomlCommand: CliCommand = {
  name: 'import-toml',
  summary: 'propose settings from a GitLab Runner config.toml (tokens are never copied)',
  usage:
    'import-toml --file CONFIG.TOML [--manager ALIAS] [--trust-on-first-use] [--store-tokens [--state-dir DIR]]',
  options: {
    file: { type: 'string', short: 'f' },
    manager: { type: 'string' },
    'trust-on-first-use': { type: 'boolean' },
    'store-tokens': { type: 'boolean' },
    'state-dir': { type: 'string' },
  },
  optionHelp: {
    file: 'CONFIG.TOML  the runner configuration, e.g. /etc/gitlab-runner/config.toml',
    manager: 'ALIAS  SSH alias of the host this config.toml belongs to (the runner manager)',
    'trust-on-first-use':
      "record each autoscaled VM's SSH host key on first contact (under its machine name)",
    'store-tokens':
      'keep the Hetzner tokens of the file in the secret store (0600 files under <state dir>/secrets/); without it no token is copied',
    'state-dir': `DIR  state folder for --store-tokens (default ${DEFAULT_STATE_DIR}, as in the settings)`,
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
    const stateDir = stringOption(args, 'state-dir');
    const store = flag(args, 'store-tokens');
    if (stateDir !== undefined && !store)
      throw new UsageError('--state-dir is only used with --store-tokens');
    const secretsDir = join(
      resolve(context.cwd, expandHome(stateDir ?? DEFAULT_STATE_DIR)),
      'secrets',
    );
    const proposal = await proposeFromRunnerToml(text, {
      origin: path,
      ...(manager ? { managerAlias: manager } : {}),
      ...(flag(args, 'trust-on-first-use') ? { trustOnFirstUse: true } : {}),
      ...(store ? { tokenStore: new FileSecretKeeper(secretsDir) } : {}),
    });
    context.out(JSON.stringify(proposal.settings, null, 2));
    for (const runner of proposal.runners) {
      context.err(`runner ${runner.name} (${runner.executor}) → ${runner.fleet ?? 'not watched'}`);
    }
    for (const note of proposal.notes) context.err(`note: ${note}`);
    return 0;
  },
};
