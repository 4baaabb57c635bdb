import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import type { SecretRef } from '../../../shared/settings';
import { redactor } from '../errors/redact';
import { RwError } from '../errors/rw-error';
import { FILE_LIMITS, readBoundedText } from '../read-bounded-file';
import { resolveConfigPath } from './expand-home';

/** Resolves a secret reference to its value. Each host has its own implementation. */
export interface SecretSource {
  resolve(ref: SecretRef): Promise<string>;
}

/** Where the env/file source looks. */
export interface EnvFileSecretOptions {
  /** Variables for `{env}` references; the CLI passes process.env, the demo the simulator's map. */
  env: Readonly<Record<string, string | undefined>>;
  /** Folder relative `{file}` paths are resolved against (the config file's folder). */
  baseDir?: string;
  home?: string;
  /** Receives warnings, e.g. a secret file other users can read. */
  warn?: (message: string) => void;
}

/**
 * Secrets for the CLI and serve hosts: `{env}` reads a variable, `{file}` a file's trimmed
 * contents. `{stored}` belongs to the desktop app's encrypted store and is refused with
 * a message saying so. Every resolved value is registered with the redactor before it is
 * returned, and no error message ever contains a value.
 */
export class EnvFileSecretSource implements SecretSource {
  private readonly warned = new Set<string>();

  constructor(private readonly options: EnvFileSecretOptions) {}

  async resolve(ref: SecretRef): Promise<string> {
    if ('env' in ref) return this.fromEnv(ref.env);
    if ('file' in ref) return this.fromFile(ref.file);
    throw new RwError(
      'secret_missing',
      `secret {"stored": "${ref.stored}"} lives in the desktop app's encrypted store; here use {"env": "NAME"} or {"file": "PATH"}`,
    );
  }

  private fromEnv(name: string): string {
    const value = this.options.env[name];
    if (value === undefined)
      throw new RwError('secret_missing', `environment variable ${name} is not set`);
    const trimmed = value.trim();
    if (trimmed === '')
      throw new RwError('secret_missing', `environment variable ${name} is empty`);
    redactor.register(trimmed);
    return trimmed;
  }

  private async fromFile(ref: string): Promise<string> {
    const path = resolveConfigPath(
      ref,
      this.options.baseDir ?? process.cwd(),
      this.options.home ?? homedir(),
    );
    let text: string;
    try {
      // Bounded and FIFO-safe: a reference to /dev/zero or a named pipe fails at once.
      text = await readBoundedText(path, { maxBytes: FILE_LIMITS.secret, label: 'secret file' });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new RwError('secret_missing', message, { cause: error });
    }
    const value = text.trim();
    if (value === '') throw new RwError('secret_missing', `secret file ${path} is empty`);
    redactor.register(value);
    await this.checkMode(path);
    return value;
  }

  /** Warns once per file that group or others may read; Windows has no such mode bits. */
  private async checkMode(path: string): Promise<void> {
    if (process.platform === 'win32' || this.warned.has(path)) return;
    const mode = (await stat(path)).mode & 0o777;
    if ((mode & 0o077) === 0) return;
    this.warned.add(path);
    const octal = mode.toString(8).padStart(4, '0');
    (this.options.warn ?? defaultWarn)(
      `secret file ${path} can be read by other users (mode ${octal}); run: chmod 600 ${path}`,
    );
  }
}

/** The env/file secret source over the given variables. */
export function createEnvFileSecretSource(options: EnvFileSecretOptions): SecretSource {
  return new EnvFileSecretSource(options);
}

function defaultWarn(message: string): void {
  process.stderr.write(`warning: ${message}\n`);
}
