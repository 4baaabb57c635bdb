import { constants, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';

/**
 * Largest file the core reads for each kind of file a setting points at. A path that names
 * `/dev/zero` or a multi-gigabyte file must fail at once, not fill memory: a key or a
 * secret is a few KB, known_hosts and ssh_config a few MB at most. docs/cli.md lists these.
 */
export const FILE_LIMITS = {
  /** `{"file": …}` secret references (tokens, passphrases). */
  secret: 16 * 1024,
  /** SSH private keys (a 16384-bit RSA key in PEM is about 12.5 KB). */
  identityFile: 64 * 1024,
  knownHosts: 4 * 1024 * 1024,
  sshConfig: 1024 * 1024,
  /** The `--config` JSON file. */
  config: 1024 * 1024,
} as const;

/** Why a file could not be read; `missing` lets callers treat an absent file as empty. */
export type FileReadProblem = 'missing' | 'denied' | 'not-regular' | 'too-large' | 'unreadable';

/** A file a setting names could not be read; the message is one line naming label and path. */
export class FileReadError extends Error {
  constructor(
    readonly problem: FileReadProblem,
    message: string,
    /** The errno code when the OS refused (`ENOENT`, `EACCES`…). */
    readonly errno: string | null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'FileReadError';
  }
}

/** Options of `readBoundedFile`. */
export interface BoundedReadOptions {
  /** Largest accepted size in bytes (see `FILE_LIMITS`). */
  maxBytes: number;
  /** What the file is, for the message: `secret file`, `known_hosts file`… */
  label: string;
}

// A FIFO opened without O_NONBLOCK blocks a libuv worker thread until a writer appears,
// which stalls start-up and every later fs call behind it. Windows has no such flag
// (and no FIFOs on a path), hence the fallback.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

/**
 * Reads a file a setting points at, refusing anything but a regular file (FIFOs, sockets,
 * devices, directories) and anything over `maxBytes`. It stats before opening, opens
 * non-blocking, checks the opened file again (it may have been swapped in between) and
 * never reads more than `maxBytes + 1` bytes, so neither a FIFO nor `/dev/zero` nor a
 * file that grows while read can hang or exhaust the process.
 */
export async function readBoundedFile(path: string, options: BoundedReadOptions): Promise<Buffer> {
  const { label, maxBytes } = options;
  let info: Stats;
  try {
    info = await stat(path);
  } catch (error) {
    throw errnoError(label, path, error);
  }
  refuseUnlessRegular(label, path, info, maxBytes);
  let handle;
  try {
    handle = await open(path, OPEN_FLAGS);
  } catch (error) {
    throw errnoError(label, path, error);
  }
  try {
    refuseUnlessRegular(label, path, await handle.stat(), maxBytes);
    // Sized from the stat, grown only if the file grows while read, never past maxBytes + 1.
    let buffer = Buffer.alloc(Math.min(maxBytes + 1, info.size + 1));
    let total = 0;
    for (;;) {
      if (total === buffer.length) {
        if (buffer.length > maxBytes) throw tooLarge(label, path, maxBytes);
        const grown = Buffer.alloc(Math.min(maxBytes + 1, buffer.length * 2));
        buffer.copy(grown, 0, 0, total);
        buffer = grown;
      }
      const { bytesRead } = await handle.read(buffer, total, buffer.length - total, total);
      if (bytesRead === 0) break;
      total += bytesRead;
    }
    if (total > maxBytes) throw tooLarge(label, path, maxBytes);
    return buffer.subarray(0, total);
  } catch (error) {
    if (error instanceof FileReadError) throw error;
    throw errnoError(label, path, error);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Reads a bounded file as UTF-8 text. */
export async function readBoundedText(path: string, options: BoundedReadOptions): Promise<string> {
  return (await readBoundedFile(path, options)).toString('utf8');
}

function refuseUnlessRegular(label: string, path: string, info: Stats, maxBytes: number): void {
  if (info.isDirectory())
    throw new FileReadError('not-regular', `${label} ${path} is a directory, not a file`, null);
  if (!info.isFile())
    throw new FileReadError(
      'not-regular',
      `${label} ${path} is ${kindOf(info)}, not a regular file`,
      null,
    );
  if (info.size > maxBytes) throw tooLarge(label, path, maxBytes);
}

function kindOf(info: Stats): string {
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

function tooLarge(label: string, path: string, maxBytes: number): FileReadError {
  return new FileReadError(
    'too-large',
    `${label} ${path} is larger than ${formatBytes(maxBytes)}; that cannot be right for this file`,
    null,
  );
}

/** `16 KiB`, `4 MiB`: the bounds are powers of two. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / 1024 / 1024} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

function errnoError(label: string, path: string, error: unknown): FileReadError {
  const code = (error as { code?: unknown } | null)?.code;
  const errno = typeof code === 'string' ? code : null;
  switch (errno) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new FileReadError('missing', `${label} ${path} not found`, errno, { cause: error });
    case 'EACCES':
    case 'EPERM':
      return new FileReadError(
        'denied',
        `${label} ${path} is not readable (permission denied)`,
        errno,
        { cause: error },
      );
    case 'EISDIR':
      return new FileReadError(
        'not-regular',
        `${label} ${path} is a directory, not a file`,
        errno,
        {
          cause: error,
        },
      );
    default:
      return new FileReadError(
        'unreadable',
        `${label} ${path} could not be read (${errno ?? 'unknown error'})`,
        errno,
        { cause: error },
      );
  }
}
