import { z } from 'zod';

/** Where the person's open/closed choice for the insights strip is kept between runs. */
export const INSIGHTS_FOLD_KEY = 'runner-watch.insights-strip';

/** What may be stored: anything else (an older build, a hand edit) counts as no choice. */
const StoredFold = z.enum(['open', 'closed']);

/** The part of Web Storage this needs, so tests and a storage-less window can pass their own. */
export type FoldStorage = Pick<Storage, 'getItem' | 'setItem'>;

/** The window's localStorage, or none where reading it throws (storage disabled, sandboxed). */
export function windowStorage(): FoldStorage | undefined {
  try {
    return globalThis.localStorage ?? undefined;
  } catch {
    return undefined;
  }
}

/** The stored choice: true open, false closed, null when the person never chose. */
export function readFoldChoice(storage: FoldStorage | undefined): boolean | null {
  let raw: string | null = null;
  try {
    raw = storage?.getItem(INSIGHTS_FOLD_KEY) ?? null;
  } catch {
    return null;
  }
  const parsed = StoredFold.safeParse(raw);
  return parsed.success ? parsed.data === 'open' : null;
}

/**
 * Keeps the choice for the next start. A full or refused storage only loses the memory,
 * never the click: the strip still opens or closes for this run.
 */
export function writeFoldChoice(storage: FoldStorage | undefined, open: boolean): void {
  try {
    storage?.setItem(INSIGHTS_FOLD_KEY, open ? 'open' : 'closed');
  } catch {
    // Quota or security error: nothing to tell the person, the strip works without it.
  }
}

/**
 * Open or closed now: the person's choice wins; without one the strip is open on a tall
 * window and folded to its tab bar on a short one, where the grid needs the room.
 */
export function insightsOpen(choice: boolean | null, tallWindow: boolean): boolean {
  return choice ?? tallWindow;
}
