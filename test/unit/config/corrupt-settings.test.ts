import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  corruptCopyPath,
  keepCorruptCopy,
  loadSettingsForRun,
} from '../../../electron/core/config/corrupt-settings';
import { isRwError } from '../../../electron/core/errors/rw-error';

const T = Date.UTC(2026, 11, 3, 14, 20, 5, 123);
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'rw-corrupt-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('corrupt settings files', () => {
  it('names the copy by UTC time, without characters some file systems refuse', () => {
    expect(corruptCopyPath('/etc/rw/fleet.json', T)).toBe(
      '/etc/rw/fleet.json.corrupt-2026-12-03T14-20-05-123Z',
    );
  });

  it('keeps one 0600 copy per distinct text, however often the same file is reported', async () => {
    const dir = tmp();
    const file = join(dir, 'fleet.json');
    writeFileSync(file, '{"fleets": [', { mode: 0o644 });
    const first = await keepCorruptCopy(file, '{"fleets": [', T);
    expect(first).toEqual({ copy: corruptCopyPath(file, T) });
    expect(await keepCorruptCopy(file, '{"fleets": [', T + 60_000)).toEqual(first);
    expect(statSync(corruptCopyPath(file, T)).mode & 0o777).toBe(0o600);
    const second = await keepCorruptCopy(file, '{"fleets": 7}', T + 120_000);
    expect(second).toEqual({ copy: corruptCopyPath(file, T + 120_000) });
    expect(readdirSync(dir).sort()).toEqual([
      'fleet.json',
      'fleet.json.corrupt-2026-12-03T14-20-05-123Z',
      'fleet.json.corrupt-2026-12-03T14-22-05-123Z',
    ]);
  });

  it('says why when no copy can be made, instead of failing the report', async () => {
    const dir = tmp();
    const result = await keepCorruptCopy(join(dir, 'gone', 'fleet.json'), 'x', T);
    expect(result).toMatchObject({ failed: expect.stringMatching(/ENOENT/) as unknown });
  });

  it('a missing file is reported as it is: nothing to copy, no note', async () => {
    const dir = tmp();
    const error: unknown = await loadSettingsForRun(join(dir, 'absent.json')).catch(
      (e: unknown) => e,
    );
    expect(isRwError(error)).toBe(true);
    expect((error as Error).message).toBe(`config file ${join(dir, 'absent.json')} not found`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a corrupt file: the problem, the copy, and that nothing runs; the file itself untouched', async () => {
    const dir = tmp();
    const file = join(dir, 'fleet.json');
    const text = JSON.stringify({ fleets: [{ id: 'ci', reaper: { mode: 'yolo' } }] });
    writeFileSync(file, text);
    const error: unknown = await loadSettingsForRun(file).catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('config_invalid');
    const [copy] = readdirSync(dir).filter((f) => f.includes('.corrupt-'));
    expect((error as Error).message).toBe(
      `config ${file}: fleets[0].reaper.mode: expected one of "off", "notify", "auto", "dry-run"` +
        `; a copy is kept at ${join(dir, copy!)}` +
        '; nothing runs on this file until it is fixed: no machine is watched and the reaper does nothing (defaults are never used in its place)',
    );
    expect(readFileSync(file, 'utf8')).toBe(text);
    expect(readFileSync(join(dir, copy!), 'utf8')).toBe(text);
  });
});
