import { RwError } from './rw-error';

/** The configuration is missing, unreadable or invalid. The message names the problem. */
export class ConfigError extends RwError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('config_invalid', message, options);
    this.name = 'ConfigError';
  }
}
