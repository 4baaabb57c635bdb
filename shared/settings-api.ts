import { z } from 'zod';
import { Settings } from './settings';

/**
 * Where a secret reference of the settings points, and whether it resolves now. Names the
 * variable or file, never the value: the Settings view shows "token is set" from this.
 */
export const SecretStatus = z.object({
  /** Path of the reference in the settings, e.g. `['gitlab', 0, 'token']`. */
  path: z.array(z.union([z.string(), z.number()])),
  kind: z.enum(['env', 'file', 'stored']),
  /** The variable name, file path or store key (none of them secret). */
  name: z.string(),
  /** True when the host resolved it to a non-empty value just now. */
  set: z.boolean(),
  /** Why it did not resolve, free of the value; null when set. */
  problem: z.string().nullable(),
});
/** Where a secret reference points, and whether it resolves. */
export type SecretStatus = z.infer<typeof SecretStatus>;

/** One problem of a settings document, at its path (shown next to that field). */
export const SettingsIssue = z.object({
  path: z.array(z.union([z.string(), z.number()])),
  message: z.string(),
});
/** One problem of a settings document. */
export type SettingsIssue = z.infer<typeof SettingsIssue>;

/** The settings as the Settings view edits them (`rw:settings:get`). Never a secret value. */
export const SettingsDocument = z.object({
  /** Where they are kept, e.g. the serve host's `--config` file. */
  location: z.string(),
  /** False where this host cannot write them (e.g. the simulated demo without a file). */
  writable: z.boolean(),
  /**
   * How a secret typed into the view is kept: `file` writes it to a 0600 file in
   * `secretDir` and stores a `{file}` reference (serve host, CLI); `stored` keeps it in the
   * desktop app's encrypted store (`{stored}`); `none` accepts no typed secrets.
   */
  secretStorage: z.enum(['file', 'stored', 'none']),
  /** Folder of the secret files when `secretStorage` is `file`. */
  secretDir: z.string().nullable(),
  /** The settings with every default filled in; secrets are references only. */
  settings: Settings,
  secrets: z.array(SecretStatus),
  /** When the engine last applied these settings (restarted its sources with them). */
  appliedAt: z.number().nullable(),
});
/** The settings as the Settings view edits them. */
export type SettingsDocument = z.infer<typeof SettingsDocument>;

/** A secret typed into the Settings view, sent once to the host and never shown again. */
export const SecretEntry = z.strictObject({
  /** Path of the reference it replaces, e.g. `['hetzner', 0, 'token']`. */
  path: z
    .array(z.union([z.string().min(1).max(64), z.number().int().min(0)]))
    .min(1)
    .max(8),
  value: z.string().min(1).max(16_384),
});
/** A secret typed into the Settings view. */
export type SecretEntry = z.infer<typeof SecretEntry>;

/**
 * Request of `rw:settings:update`. `settings` is checked by the host against `Settings`
 * (every problem comes back with its path rather than as one error), so it is a plain
 * object here. Secret fields in it hold references; new values go in `secrets`.
 */
export const SettingsUpdateRequest = z.strictObject({
  settings: z.record(z.string(), z.unknown()),
  secrets: z.array(SecretEntry).max(64).default([]),
});
/** Request of `rw:settings:update`. */
export type SettingsUpdateRequest = z.infer<typeof SettingsUpdateRequest>;

/** Answer of `rw:settings:update`: saved (and applied or not, with why), or every problem. */
export const SettingsUpdateResult = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    document: SettingsDocument,
    /** True when the engine restarted its sources with the new settings. */
    applied: z.boolean(),
    /** What happened, said plainly ("saved to …; the engine restarted with them"). */
    message: z.string(),
  }),
  z.object({ ok: z.literal(false), issues: z.array(SettingsIssue).min(1) }),
]);
/** Answer of `rw:settings:update`. */
export type SettingsUpdateResult = z.infer<typeof SettingsUpdateResult>;

/** Request of `rw:settings:import-toml`: a GitLab Runner `config.toml` as text. */
export const ImportTomlRequest = z.strictObject({
  text: z.string().min(1).max(1_000_000),
  /** SSH alias of the host the file belongs to (its runner manager). */
  managerAlias: z.string().min(1).max(255).optional(),
  /**
   * Keep the Hetzner tokens of the file in this host's secret store (the desktop keychain,
   * the serve host's 0600 files) and reference them; by default no token is copied.
   */
  storeTokens: z.boolean().optional(),
});
/** Request of `rw:settings:import-toml`. */
export type ImportTomlRequest = z.infer<typeof ImportTomlRequest>;

/** What importing a config.toml proposes; tokens of the file are never included. */
export const ImportTomlResult = z.object({
  /** Entries to add: fleets, hetzner, gitlab, dockerMachine, sshHosts (as written, before defaults). */
  settings: z.record(z.string(), z.array(z.record(z.string(), z.unknown()))),
  runners: z.array(
    z.object({ name: z.string(), executor: z.string(), fleet: z.string().nullable() }),
  ),
  notes: z.array(z.string()),
});
/** What importing a config.toml proposes. */
export type ImportTomlResult = z.infer<typeof ImportTomlResult>;

/** Request of `rw:settings:check-gitlab`: the saved instance to ask about its token. */
export const GitLabCheckRequest = z.strictObject({ id: z.string().min(1).max(64) });
/** Request of `rw:settings:check-gitlab`. */
export type GitLabCheckRequest = z.infer<typeof GitLabCheckRequest>;

/** What the instance said about the token: its scopes and what they allow. */
export const GitLabCheckResult = z.object({
  id: z.string(),
  url: z.string(),
  /** False when the instance could not be asked (unreachable, token refused). */
  reached: z.boolean(),
  username: z.string().nullable(),
  isAdmin: z.boolean().nullable(),
  /** Null when the instance would not say. */
  scopes: z.array(z.string()).nullable(),
  /** What the token cannot do, in plain words; empty when nothing is missing. */
  missing: z.array(z.string()),
  message: z.string(),
});
/** What the instance said about the token. */
export type GitLabCheckResult = z.infer<typeof GitLabCheckResult>;

/** Request of `rw:settings:host-key`: the SSH host whose key to read. */
export const HostKeyRequest = z.strictObject({
  host: z.string().min(1).max(255),
  port: z.number().int().min(1).max(65_535).default(22),
  /** The known_hosts file to check against; default the first fleet's. */
  knownHostsFile: z.string().min(1).max(4_096).optional(),
});
/** Request of `rw:settings:host-key`. */
export type HostKeyRequest = z.infer<typeof HostKeyRequest>;

/** The key a host offers and what known_hosts says about it (the trust prompt). */
export const HostKeyResult = z.object({
  host: z.string(),
  port: z.number().int(),
  keyType: z.string(),
  /** OpenSSH's `SHA256:…` fingerprint, to compare with `ssh-keygen -lf` on the host. */
  fingerprint: z.string(),
  status: z.enum(['ok', 'unknown', 'changed', 'revoked']),
  knownHostsFile: z.string(),
});
/** The key a host offers and what known_hosts says about it. */
export type HostKeyResult = z.infer<typeof HostKeyResult>;

/** Request of `rw:settings:trust-host-key`: record the key with this fingerprint. */
export const TrustHostKeyRequest = HostKeyRequest.extend({
  fingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'expected a SHA256: fingerprint'),
});
/** Request of `rw:settings:trust-host-key`. */
export type TrustHostKeyRequest = z.infer<typeof TrustHostKeyRequest>;
