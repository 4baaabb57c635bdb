import ssh2, { type AnyAuthMethod, type ParsedKey } from 'ssh2';
import type { SecretRef } from '../../../../shared/settings';
import { redactor } from '../../errors/redact';
import { FILE_LIMITS, FileReadError, readBoundedFile } from '../../read-bounded-file';

// ssh2 is CommonJS: Node's ESM loader sees only its default export (module.exports).
const { utils } = ssh2;

/** Resolves a secret reference (the runtime's `SecretResolver` fits). */
export interface SecretLookup {
  resolve(ref: SecretRef): Promise<string>;
}

/** The credentials to offer one host, in order, and why some could not be used. */
export interface AuthPlan {
  methods: AnyAuthMethod[];
  /** Human notes ("key ~/.ssh/x is encrypted and no passphrase is configured"), no secrets. */
  notes: string[];
  /** What was offered, for the failure message ("agent, key /root/.ssh/id_ed25519"). */
  offered: string[];
}

/**
 * Builds the auth methods for a target: the ssh-agent first (when allowed and
 * SSH_AUTH_SOCK is set), then every readable key file, decrypted with the passphrase
 * from the secret store when encrypted. Keys are read once per file and cached by the
 * caller through `keyCache`. The passphrase is registered with the redactor.
 */
export async function planAuth(options: {
  user: string;
  identityFiles: readonly string[];
  useAgent: boolean;
  agentSocket: string | null;
  passphrase: SecretRef | null;
  secrets: SecretLookup | null;
  keyCache: Map<string, Promise<ParsedKey | string>>;
}): Promise<AuthPlan> {
  const methods: AnyAuthMethod[] = [];
  const notes: string[] = [];
  const offered: string[] = [];
  if (options.useAgent && options.agentSocket) {
    methods.push({ type: 'agent', username: options.user, agent: options.agentSocket });
    offered.push('agent');
  }
  for (const file of options.identityFiles) {
    let pending = options.keyCache.get(file);
    if (!pending) {
      pending = loadKey(file, options.passphrase, options.secrets);
      options.keyCache.set(file, pending);
    }
    const key = await pending;
    if (typeof key === 'string') {
      notes.push(key);
      // A missing passphrase may be configured later; a key file may appear later.
      options.keyCache.delete(file);
      continue;
    }
    methods.push({ type: 'publickey', username: options.user, key });
    offered.push(`key ${file}`);
  }
  return { methods, notes, offered };
}

/** Loads one private key; resolves to a note (string) when it cannot be used. */
async function loadKey(
  file: string,
  passphraseRef: SecretRef | null,
  secrets: SecretLookup | null,
): Promise<ParsedKey | string> {
  let data: Buffer;
  try {
    // Bounded and FIFO-safe: an IdentityFile naming /dev/zero or a pipe is a note, not a hang.
    data = await readBoundedFile(file, { maxBytes: FILE_LIMITS.identityFile, label: 'key' });
  } catch (error) {
    if (error instanceof FileReadError && error.errno === null) return error.message;
    const errno = error instanceof FileReadError ? error.errno : null;
    return `key ${file} cannot be read (${errno ?? 'error'})`;
  }
  const plain = utils.parseKey(data);
  if (!(plain instanceof Error)) return plain;
  if (!/encrypted|passphrase/i.test(plain.message))
    return `key ${file} is not a private key ssh2 can read`;
  if (!passphraseRef) return `key ${file} is encrypted and no passphrase is configured`;
  if (!secrets)
    return `key ${file} is encrypted and no secret store is available for its passphrase`;
  let passphrase: string;
  try {
    passphrase = await secrets.resolve(passphraseRef);
  } catch {
    return `key ${file} is encrypted and its passphrase could not be resolved`;
  }
  redactor.register(passphrase);
  const decrypted = utils.parseKey(data, passphrase);
  if (decrypted instanceof Error)
    return `key ${file}: the configured passphrase does not decrypt it`;
  return decrypted;
}
