import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { syncDir } from '../audit/audit-log';

/** Options of `writeFileAtomic`. */
export interface AtomicWriteOptions {
  /** Mode of a new file; an existing file keeps its own unless `forceMode`. */
  mode?: number;
  /** Always use `mode` (secret files are 0600 whatever they were). */
  forceMode?: boolean;
  /** Copy the current file here first (replacing an older backup). */
  backup?: string;
}

/**
 * Replaces a file so that a reader or a crash sees the old or the new contents, never a
 * mix: write a temp file beside it, fsync, rename over, fsync the folder. The previous
 * version is copied to `backup` first, so a bad save can be undone by hand. Every file the
 * app keeps (settings, reaper state, secret blobs, price cache, job metrics) goes through
 * here, so a full disk fails the write with its error and leaves the old file whole.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const dir = dirname(path);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const current = await fs.stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  const mode = current && !options.forceMode ? current.mode & 0o777 : (options.mode ?? 0o600);
  const temp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const handle = await fs.open(temp, 'wx', mode);
    try {
      await handle.writeFile(data);
      await handle.chmod(mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (current && options.backup) await fs.copyFile(path, options.backup);
    await fs.rename(temp, path);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
  await syncDir(dir);
}
