import { promises as fs } from 'node:fs';
import path from 'node:path';
import { syncDir } from '../audit/audit-log';

let counter = 0;

/**
 * Replaces a file so that after a crash it holds the old or the new text, never half of
 * one: write a temp file beside it (mode 0600), fsync, rename over, fsync the directory.
 */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = `${file}.tmp-${process.pid}-${++counter}`;
  const handle = await fs.open(temp, 'w', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
  await syncDir(dir);
}
