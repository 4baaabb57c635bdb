import { createEnvFileSecretSource, type SecretSource } from '../../electron/core/config/secrets';

/**
 * Secrets for a test or bench on a simulated fleet: `{env}` references read the simulator's
 * token map (`fleet.env`), through the same source the CLI and the demo use, so every token
 * is registered with the redactor as in the product.
 */
export function simSecrets(env: Readonly<Record<string, string | undefined>>): SecretSource {
  return createEnvFileSecretSource({ env });
}
