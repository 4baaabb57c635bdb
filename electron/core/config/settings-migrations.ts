import { z } from 'zod';

/**
 * The desktop app's settings file before it shared one format with the serve host
 * (Runner Watch 0.1): one electron-store file `runner-watch.json` holding
 * `{settings: {...}, secrets: {NAME: base64 ciphertext}}`.
 */
const LegacyDesktopStore = z.object({
  settings: z.record(z.string(), z.unknown()).optional(),
  secrets: z.record(z.string(), z.string()).optional(),
});

/** What a legacy desktop store becomes: settings at the top level, secrets as blobs. */
export interface MigratedDesktopStore {
  /** The settings as the shared JSON format has them (still to be validated). */
  settings: Record<string, unknown>;
  /** Encrypted secrets by name, still encrypted (the bytes safeStorage produced). */
  secrets: Record<string, Buffer>;
}

/**
 * Migrates the 0.1 desktop store to the shared format. Ciphertexts move as they are:
 * nothing is decrypted, so a migration never handles a plain secret. Returns null for
 * anything that is not a 0.1 store, so an unknown file is reported, not rewritten.
 */
export function migrateLegacyDesktopStore(raw: unknown): MigratedDesktopStore | null {
  const parsed = LegacyDesktopStore.safeParse(raw);
  if (!parsed.success) return null;
  if (parsed.data.settings === undefined && parsed.data.secrets === undefined) return null;
  const secrets: Record<string, Buffer> = {};
  for (const [name, base64] of Object.entries(parsed.data.secrets ?? {})) {
    secrets[name] = Buffer.from(base64, 'base64');
  }
  return { settings: parsed.data.settings ?? {}, secrets };
}
