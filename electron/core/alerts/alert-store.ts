import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  AlertState,
  type AckAlertRequest,
  type EndAlertQuietRequest,
  type MuteAlertsRequest,
} from '../../../shared/alerts';
import { RwError } from '../errors/rw-error';
import { writeFileAtomic } from '../config/atomic-file';
import { withoutCleared, withoutExpired } from './alert-policy';

/** File name of the acknowledgements and mutes in the state dir. */
export const ALERTS_FILE = 'alerts.json';

/**
 * Acknowledgements and mutes, kept in the state dir so they hold across restarts. A file
 * that cannot be read is moved aside and reported (`problem`); starting without it errs on
 * the loud side: alerts that were quiet speak again, none is lost.
 */
export class AlertStore {
  readonly file: string;
  private state: AlertState = { acks: [], mutes: [] };
  private chain: Promise<unknown> = Promise.resolve();
  /** Set when the file was unreadable at load; it was kept at `movedTo`. */
  problem: string | null = null;
  /** Inode and mtime of the file as last read or written: each atomic write makes a new inode. */
  private readVersion: string | null = null;

  constructor(
    dir: string,
    private readonly now: () => number = Date.now,
  ) {
    this.file = path.join(dir, ALERTS_FILE);
  }

  /**
   * Reads the file when it changed since the last read: another process (the CLI, a second
   * window's host) may have acknowledged or muted meanwhile. Every change re-reads first.
   */
  async load(): Promise<void> {
    let text: string;
    try {
      const stat = await fs.stat(this.file);
      if (fileVersion(stat) === this.readVersion) return;
      this.readVersion = fileVersion(stat);
      text = await fs.readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    try {
      this.state = withoutExpired(AlertState.parse(JSON.parse(text)), this.now());
    } catch (error) {
      const movedTo = `${this.file}.corrupt-${this.now()}`;
      await fs.rename(this.file, movedTo);
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      this.problem = `alert acknowledgements and mutes could not be read (${reason}); the file was kept as ${movedTo}`;
    }
  }

  /** The acknowledgements and mutes in force now. */
  current(): AlertState {
    return withoutExpired(this.state, this.now());
  }

  /** "I'm on it" for an alert at its current severity, until `minutes` from now. */
  async ack(request: AckAlertRequest, by: string): Promise<AlertState> {
    await this.load();
    const at = this.now();
    const acks = this.current().acks.filter((a) => a.alertKey !== request.alertKey);
    acks.push({
      alertKey: request.alertKey,
      severity: request.severity,
      by,
      at,
      until: at + request.minutes * 60_000,
      ...(request.note ? { note: request.note } : {}),
    });
    return this.replace({ ...this.current(), acks });
  }

  /** Mutes a machine or a fleet for `minutes` (critical alerts too only when asked). */
  async mute(request: MuteAlertsRequest, by: string): Promise<AlertState> {
    await this.load();
    const at = this.now();
    const same = (m: AlertState['mutes'][number]) =>
      m.scope.fleet === request.scope.fleet && m.scope.machineKey === request.scope.machineKey;
    const mutes = this.current().mutes.filter((m) => !same(m));
    mutes.push({
      id: randomUUID(),
      scope: request.scope,
      by,
      at,
      until: at + request.minutes * 60_000,
      includeCritical: request.includeCritical,
    });
    return this.replace({ ...this.current(), mutes });
  }

  /** Ends an acknowledgement or a mute before its time. */
  async end(request: EndAlertQuietRequest): Promise<AlertState> {
    await this.load();
    const state = this.current();
    const next =
      'alertKey' in request
        ? { ...state, acks: state.acks.filter((a) => a.alertKey !== request.alertKey) }
        : { ...state, mutes: state.mutes.filter((m) => m.id !== request.muteId) };
    if (next.acks.length === state.acks.length && next.mutes.length === state.mutes.length) {
      throw new RwError(
        'not_found',
        'alertKey' in request
          ? `no acknowledgement of ${request.alertKey}`
          : `no mute ${request.muteId}`,
      );
    }
    return this.replace(next);
  }

  /**
   * Called with the keys of the alerts raised now: acknowledgements of alerts that cleared
   * end, so the next occurrence notifies. Writes only when something changed.
   */
  async observe(raisedKeys: ReadonlySet<string>): Promise<void> {
    await this.load();
    const current = this.current();
    const next = withoutCleared(current, raisedKeys);
    if (
      next !== current ||
      current.acks.length !== this.state.acks.length ||
      current.mutes.length !== this.state.mutes.length
    ) {
      await this.replace(next);
    }
  }

  private async replace(next: AlertState): Promise<AlertState> {
    this.state = next;
    const text = `${JSON.stringify(next, null, 1)}\n`;
    const write = this.chain.then(() => writeFileAtomic(this.file, text));
    this.chain = write.catch(() => undefined);
    await write;
    this.readVersion = fileVersion(await fs.stat(this.file));
    return next;
  }
}

function fileVersion(stat: { ino: number; mtimeMs: number; size: number }): string {
  return `${stat.ino}:${stat.mtimeMs}:${stat.size}`;
}
