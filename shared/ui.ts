import { z } from 'zod';

/**
 * What the desktop app asks its window to show: a tray entry or a notification click
 * opens the window on a machine, on a proposal's confirm dialog (which re-checks the
 * machine first), on a source, or on the fleet. Pushed on `rw:ui:open`.
 */
export const OpenTarget = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('fleet') }),
  z.strictObject({ kind: z.literal('machine'), machineKey: z.string().min(1).max(300) }),
  z.strictObject({ kind: z.literal('proposal'), proposalId: z.string().min(1).max(200) }),
  z.strictObject({ kind: z.literal('source'), sourceId: z.string().min(1).max(200) }),
]);
/** What the desktop app asks its window to show. */
export type OpenTarget = z.infer<typeof OpenTarget>;
