/**
 * Secrets the process holds, so that any text leaving the engine (error messages, logs,
 * audit records, API answers) can be scrubbed. Every resolved secret is registered here;
 * scrubbing is a last line of defence, not a licence to put secrets in messages.
 */
export class SecretRedactor {
  private readonly secrets = new Set<string>();

  /** Registers a secret value; values shorter than 4 characters are not worth matching. */
  register(secret: string): void {
    const value = secret.trim();
    if (value.length >= 4) this.secrets.add(value);
  }

  /** Replaces every registered secret, and any `user:password@` in a URL, with `[redacted]`. */
  redact(text: string): string {
    let out = redactUrl(text);
    for (const secret of this.secrets) out = out.split(secret).join('[redacted]');
    return out;
  }
}

/**
 * `scheme://user:password@host` → `scheme://[redacted]@host`, wherever a URL appears in
 * the text. Configured URLs may not carry credentials at all (the schema refuses them);
 * this catches URLs from elsewhere (a redirect target, an error from a library).
 */
export function redactUrl(text: string): string {
  // The userinfo part is bounded and cannot contain `/`, `@` or whitespace: linear.
  return text.replace(/\b([a-z][a-z0-9+.-]{0,31}:\/\/)[^\s/@?#]{1,1024}@/gi, '$1[redacted]@');
}

/** The process-wide redactor used by the error and log paths. */
export const redactor = new SecretRedactor();
