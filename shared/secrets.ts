import { z } from 'zod';

/**
 * What moving `{env}` / `{file}` secrets into the desktop app's encrypted store did
 * (`rw:secrets:migrate`). Names where each secret was and where it went, never a value.
 */
export const SecretMigrationReport = z.object({
  moved: z.array(z.object({ path: z.string(), from: z.string(), to: z.string() })),
  failed: z.array(z.object({ path: z.string(), from: z.string(), message: z.string() })),
});
/** What moving secrets into the encrypted store did. */
export type SecretMigrationReport = z.infer<typeof SecretMigrationReport>;
