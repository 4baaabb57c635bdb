import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import path from 'node:path';
import { AuditRecord, type AuditFilter } from '../../../shared/audit';
import { redactor } from '../errors/redact';
import { RwError } from '../errors/rw-error';
import { toDisposable, type Disposable } from '../lifecycle';

/** What callers give; id, time and empty fields are filled in. */
export type AuditInput = Partial<Omit<AuditRecord, 'id' | 'at' | 'type'>> &
  Pick<AuditRecord, 'type'>;

/** Where records go. The reaper writes through this; tests may pass a memory sink. */
export interface AuditSink {
  append(input: AuditInput): Promise<AuditRecord>;
}

/** Where and how the log is kept. */
export interface AuditLogOptions {
  /** Directory of the log (the settings' `stateDir`). */
  dir: string;
  /** Current file; rotated ones get `.1`, `.2`, … before the extension. */
  fileName?: string;
  /** Rotate before a record would make the current file larger than this. */
  maxBytes?: number;
  /** Rotated files kept besides the current one. */
  keep?: number;
  now?: () => number;
}

/** Default name of the current audit file inside the state directory. */
export const AUDIT_FILE = 'audit.jsonl';

/** `user@hostname` of the person running this process, for confirmations. */
export function currentUser(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    user = process.env.USER ?? 'unknown';
  }
  return `${user}@${hostname()}`;
}

/** Replaces registered secrets in every string of a value (a last line of defence). */
function scrub<T>(value: T): T {
  if (typeof value === 'string') return redactor.redact(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => scrub(item)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, scrub(item)])) as T;
  }
  return value;
}

/** Path of rotated file `n` (0 = current). */
export function rotatedPath(dir: string, fileName: string, n: number): string {
  if (n === 0) return path.join(dir, fileName);
  const ext = path.extname(fileName);
  return path.join(dir, `${fileName.slice(0, fileName.length - ext.length)}.${n}${ext}`);
}

/** A full record from what a caller gives: every field it leaves out is null (or empty). */
export function auditRecordOf(input: AuditInput, id: string, at: number): unknown {
  return {
    id,
    at,
    fleet: null,
    machineKey: null,
    machineName: null,
    proposalId: null,
    rule: null,
    action: null,
    who: null,
    outcome: null,
    reasons: [],
    evidence: null,
    modeFrom: null,
    modeTo: null,
    detail: null,
    ...input,
  };
}

/**
 * The append-only audit log: one JSON object per line, each line fsync'd before `append`
 * resolves, so a record the caller saw written survives a crash or power loss. Appends are
 * serialised. Before a record would push the file past `maxBytes` the file is rotated
 * (`audit.jsonl` → `audit.1.jsonl` …, the oldest beyond `keep` dropped). Records are
 * validated against the shared schema and scrubbed of registered secrets.
 */
export class AuditLog implements AuditSink, Disposable {
  private readonly dir: string;
  private readonly fileName: string;
  private readonly maxBytes: number;
  private readonly keep: number;
  private readonly now: () => number;
  private chain: Promise<unknown> = Promise.resolve();
  private ready: Promise<void> | null = null;
  private readonly recordListeners = new Set<(record: AuditRecord) => void>();

  constructor(options: AuditLogOptions) {
    this.dir = options.dir;
    this.fileName = options.fileName ?? AUDIT_FILE;
    this.maxBytes = options.maxBytes ?? 5 * 1024 * 1024;
    this.keep = Math.max(0, options.keep ?? 5);
    this.now = options.now ?? Date.now;
  }

  /** Current file path. */
  get file(): string {
    return rotatedPath(this.dir, this.fileName, 0);
  }

  append(input: AuditInput): Promise<AuditRecord> {
    const parsed = AuditRecord.safeParse(scrub(auditRecordOf(input, randomUUID(), this.now())));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return Promise.reject(
        new RwError(
          'bad_input',
          `audit record invalid at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
        ),
      );
    }
    const record = parsed.data;
    const line = `${JSON.stringify(record)}\n`;
    const next = this.chain.then(() => this.write(line));
    this.chain = next.catch(() => undefined);
    return next.then(() => {
      for (const listener of this.recordListeners) listener(record);
      return record;
    });
  }

  /**
   * Called with every record once it is on disk (the desktop app's kill notifications);
   * a record that failed to write is never announced.
   */
  onRecord(listener: (record: AuditRecord) => void): Disposable {
    this.recordListeners.add(listener);
    return toDisposable(() => {
      this.recordListeners.delete(listener);
    });
  }

  /** Resolves when every append so far is on disk. */
  async flush(): Promise<void> {
    await this.chain;
  }

  async dispose(): Promise<void> {
    await this.flush();
  }

  private async write(line: string): Promise<void> {
    this.ready ??= fs.mkdir(this.dir, { recursive: true, mode: 0o700 }).then(() => undefined);
    await this.ready;
    const bytes = Buffer.byteLength(line);
    const size = await fs.stat(this.file).then(
      (s) => s.size,
      () => 0,
    );
    if (size > 0 && size + bytes > this.maxBytes) await this.rotate();
    const handle = await fs.open(this.file, 'a', 0o600);
    try {
      await handle.write(line);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  private async rotate(): Promise<void> {
    if (this.keep === 0) {
      await fs.rm(this.file, { force: true });
    } else {
      await fs.rm(rotatedPath(this.dir, this.fileName, this.keep), { force: true });
      for (let n = this.keep - 1; n >= 0; n--) {
        await fs
          .rename(
            rotatedPath(this.dir, this.fileName, n),
            rotatedPath(this.dir, this.fileName, n + 1),
          )
          .catch((error: NodeJS.ErrnoException) => {
            if (error.code !== 'ENOENT') throw error;
          });
      }
    }
    await syncDir(this.dir);
  }
}

/** fsync a directory so renames in it survive a crash (no-op where unsupported). */
export async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await fs.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic there.
  }
}

/** What `readAudit` reads and keeps. */
export interface ReadAuditOptions {
  dir: string;
  fileName?: string;
  /** Rotated files to read besides the current one. */
  keep?: number;
  limit?: number;
  filter?: AuditFilter;
}

/** What `readAudit` found: records newest first, and how many lines could not be read. */
export interface AuditReadResult {
  records: AuditRecord[];
  /** Lines that were not valid records (e.g. a line torn by a crash mid-write). */
  skipped: number;
}

function matches(record: AuditRecord, filter: AuditFilter | undefined): boolean {
  if (!filter) return true;
  if (filter.fleet !== undefined && record.fleet !== filter.fleet) return false;
  if (
    filter.machine !== undefined &&
    record.machineKey !== filter.machine &&
    record.machineName !== filter.machine
  ) {
    return false;
  }
  if (filter.type !== undefined && record.type !== filter.type) return false;
  if (filter.proposalId !== undefined && record.proposalId !== filter.proposalId) return false;
  if (filter.since !== undefined && record.at < filter.since) return false;
  if (filter.until !== undefined && record.at > filter.until) return false;
  return true;
}

/** Reads the log (current file, then rotated ones), newest first, filtered, at most `limit`. */
export async function readAudit(options: ReadAuditOptions): Promise<AuditReadResult> {
  const fileName = options.fileName ?? AUDIT_FILE;
  const keep = options.keep ?? 5;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const records: AuditRecord[] = [];
  let skipped = 0;
  for (let n = 0; n <= keep && records.length < limit; n++) {
    let text: string;
    try {
      text = await fs.readFile(rotatedPath(options.dir, fileName, n), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    const lines = text.split('\n').filter((line) => line.trim() !== '');
    for (let i = lines.length - 1; i >= 0 && records.length < limit; i--) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(lines[i] as string);
      } catch {
        skipped++;
        continue;
      }
      const result = AuditRecord.safeParse(parsed);
      if (!result.success) {
        skipped++;
        continue;
      }
      if (matches(result.data, options.filter)) records.push(result.data);
    }
  }
  return { records, skipped };
}
