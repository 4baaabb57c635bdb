import { constants as fsConstants, promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ReaperAction, ReaperMode, ReaperRule } from '../../../shared/proposal';
import { writeFileAtomic } from '../config/atomic-file';
import { RwError } from '../errors/rw-error';

/** An action that was started and has not been recorded as finished. */
export const InFlightAction = z.object({
  proposalId: z.string(),
  machineKey: z.string(),
  machineName: z.string(),
  fleet: z.string(),
  rule: ReaperRule,
  action: ReaperAction,
  /** Hetzner server id for `hcloud-delete`. */
  providerId: z.string().nullable(),
  /** The inventory source that listed the machine (e.g. `hetzner:prod`): whose API token deletes it. */
  providerSource: z.string().nullable().default(null),
  startedAt: z.number(),
  who: z.string(),
  /** Hetzner action id once the delete call answered, so recovery can follow it. */
  hcloudActionId: z.number().int().nullable(),
  /** Last step reached, for the report after a crash. */
  step: z.string(),
});
/** An action that was started and has not been recorded as finished. */
export type InFlightAction = z.infer<typeof InFlightAction>;

/** A started action, counted against the fleet's hourly budget. */
export const LedgerEntry = z.object({
  fleet: z.string(),
  machineKey: z.string(),
  /** Wall-clock start. */
  at: z.number(),
});
/** A started action. */
export type LedgerEntry = z.infer<typeof LedgerEntry>;

/** What the reaper keeps across restarts. */
export const ReaperState = z.object({
  version: z.literal(1),
  /** Mode overrides set at run time, per fleet. */
  modes: z.record(z.string(), ReaperMode),
  /** Proposals already written to the audit log, and the final state of executed ones. */
  proposals: z.record(
    z.string(),
    z.object({
      firstSeenAt: z.number(),
      /** When the state last changed (an attempt ended); auto mode retries after a pause. */
      updatedAt: z.number().optional(),
      state: z.enum(['pending', 'done', 'failed', 'refused', 'dry-run']),
      lastResult: z.string().nullable(),
    }),
  ),
  inFlight: z.array(InFlightAction),
  ledger: z.array(LedgerEntry),
});
/** What the reaper keeps across restarts. */
export type ReaperState = z.infer<typeof ReaperState>;

/** A fresh, empty state. */
export function emptyState(): ReaperState {
  return { version: 1, modes: {}, proposals: {}, inFlight: [], ledger: [] };
}

/** Default file name of the reaper state inside the state directory. */
export const STATE_FILE = 'reaper-state.json';

/** What `load` found. */
export interface LoadedState {
  state: ReaperState;
  /**
   * Set when the file exists but could not be read. The file is left where it is (never
   * overwritten: it holds the hourly budget, actions in flight and modes switched off) and
   * copied to `backup`; until it is repaired or removed, `save` refuses.
   */
  corrupt: { reason: string; backup: string | null; message: string } | null;
}

/**
 * The reaper's state file, written atomically: the JSON goes to a temporary file that is
 * fsync'd and renamed over the old one (and the directory fsync'd), so after a crash the
 * file holds either the old or the new state, never half of one. Saves are serialised.
 */
export class StateStore {
  readonly file: string;
  private chain: Promise<unknown> = Promise.resolve();
  /** Why saving is refused: the file on disk is unreadable and must stay as it is. */
  private refusal: string | null = null;

  constructor(
    readonly dir: string,
    fileName = STATE_FILE,
  ) {
    this.file = path.join(dir, fileName);
  }

  /**
   * Reads the state. A missing file is a fresh start. An unreadable one is kept untouched,
   * copied aside once (`backup: true`) and reported with a message naming both files;
   * saves are refused until a later `load` finds the file readable (or removed).
   */
  async load(options: { backup?: boolean } = {}): Promise<LoadedState> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        this.refusal = null;
        return { state: emptyState(), corrupt: null };
      }
      return this.corrupt(error instanceof Error ? error.message : String(error), null);
    }
    let reason: string;
    try {
      const result = ReaperState.safeParse(JSON.parse(text));
      if (result.success) {
        this.refusal = null;
        return { state: result.data, corrupt: null };
      }
      const issue = result.error.issues[0];
      reason = `${issue?.path.length ? `at ${issue.path.join('.')}: ` : ''}${issue?.message ?? 'invalid'}`;
    } catch (error) {
      reason = error instanceof Error ? error.message : String(error);
    }
    let backup: string | null = null;
    if (options.backup ?? true) {
      backup = `${this.file}.corrupt-${Date.now()}`;
      try {
        await fs.copyFile(this.file, backup, fsConstants.COPYFILE_EXCL);
      } catch {
        backup = null;
      }
    }
    return this.corrupt(reason, backup);
  }

  private corrupt(reason: string, backup: string | null): LoadedState {
    const message =
      `the reaper state file ${this.file} is unreadable (${reason}); every action is stopped ` +
      'so that the hourly budget, actions in flight and modes switched off are not lost' +
      (backup ? `; a copy is at ${backup}` : '') +
      `. Repair the file, or remove it to start from an empty state; actions resume on the next cycle`;
    this.refusal = message;
    return { state: emptyState(), corrupt: { reason, backup, message } };
  }

  /** Writes the state atomically; resolves once it is durable. */
  save(state: ReaperState): Promise<void> {
    if (this.refusal) return Promise.reject(new RwError('state_corrupt', this.refusal));
    const parsed = ReaperState.safeParse(state);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return Promise.reject(
        new RwError(
          'internal',
          `reaper state invalid at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
        ),
      );
    }
    const text = `${JSON.stringify(parsed.data, null, 1)}\n`;
    const next = this.chain.then(() => this.write(text));
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Resolves when every save so far is durable. */
  async flush(): Promise<void> {
    await this.chain;
  }

  private write(text: string): Promise<void> {
    // The state names machines and the hourly budget, nothing secret, but stays 0600 like
    // every file of the state dir.
    return writeFileAtomic(this.file, text, { mode: 0o600, forceMode: true });
  }
}
