import type { HttpAuth, SecretRef } from '../../../../shared/settings';
import { redactor } from '../../errors/redact';

/** Resolves a secret reference (the runtime's `SecretResolver` fits). */
export interface SecretLookup {
  resolve(ref: SecretRef): Promise<string>;
}

/**
 * The `Authorization` header value for a metrics endpoint's credentials, or null without
 * any. Resolved secrets are registered with the redactor before they are used.
 */
export async function authorizationHeader(
  auth: HttpAuth | undefined,
  secrets: SecretLookup,
): Promise<string | null> {
  if (!auth) return null;
  if ('bearer' in auth) {
    const token = await secrets.resolve(auth.bearer);
    redactor.register(token);
    return `Bearer ${token}`;
  }
  const password = await secrets.resolve(auth.basic.password);
  redactor.register(password);
  const encoded = Buffer.from(`${auth.basic.username}:${password}`).toString('base64');
  redactor.register(encoded);
  return `Basic ${encoded}`;
}
