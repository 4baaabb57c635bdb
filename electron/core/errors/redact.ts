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

  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join('[redacted]');
    return out;
  }
}

/** The process-wide redactor used by the error and log paths. */
export const redactor = new SecretRedactor();
