import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Settings } from '../../../shared/settings';
import { dispatch } from '../../../electron/core/api';
import { createRuntime, type Runtime } from '../../../electron/core/runtime';

// Two runtimes (as the desktop app and `serve` build them) on one state directory, in one
// process: the second one is read-only on every command channel, reports why in AppInfo,
// and takes over once the first one is gone.
let dir: string;
const runtimes: Runtime[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rw-lock-runtime-'));
});
afterEach(async () => {
  for (const runtime of runtimes.splice(0)) await runtime.dispose();
  rmSync(dir, { recursive: true, force: true });
});

async function runtime(host: 'serve' | 'electron'): Promise<Runtime> {
  const settings = Settings.parse({
    fleets: [{ id: 'ci', reaper: { minFleetSize: 0 } }],
    probe: { sshConfigFile: null },
    stateDir: dir,
  });
  const created = await createRuntime({
    settings,
    secrets: { resolve: async () => 'unused' },
    host,
    demo: false,
    version: 't',
    warnings: ['secrets stored as plain text'],
  });
  runtimes.push(created);
  return created;
}

const info = async (r: Runtime) => {
  const answer = await dispatch(r.api, 'rw:app:info', {});
  if (!answer.ok) throw new Error(answer.error.message);
  return answer.value as { warnings: string[] };
};

describe('two runtimes on one state directory', () => {
  it('the second is read-only on every command channel, says why, and takes over when the first stops', async () => {
    const first = await runtime('electron');
    const second = await runtime('serve');
    expect((await info(first)).warnings).toEqual(['secrets stored as plain text']);
    const warnings = (await info(second)).warnings;
    expect(warnings[0]).toBe('secrets stored as plain text');
    expect(warnings[1]).toMatch(
      new RegExp(
        `^read-only: another Runner Watch process acts on ${dir}: pid ${process.pid} \\(desktop app, `,
      ),
    );
    for (const [channel, input] of [
      ['rw:reaper:set-mode', { fleet: 'ci', mode: 'off' }],
      ['rw:runners:prune', { keys: ['gitlab/1'] }],
    ] as const) {
      const answer = await dispatch(second.api, channel, input);
      expect(answer, channel).toMatchObject({ ok: false, error: { code: 'read_only' } });
    }
    // The holder may act.
    expect(
      await dispatch(first.api, 'rw:reaper:set-mode', { fleet: 'ci', mode: 'off' }),
    ).toMatchObject({ ok: true });

    await first.dispose();
    runtimes.splice(runtimes.indexOf(first), 1);
    const deadline = Date.now() + 20_000;
    while ((await info(second)).warnings.length > 1 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    expect((await info(second)).warnings).toEqual(['secrets stored as plain text']);
    // It took over with the holder's state: the mode the first one switched is in force.
    const back = await dispatch(second.api, 'rw:reaper:set-mode', { fleet: 'ci', mode: 'notify' });
    expect(back).toMatchObject({ ok: true, value: { mode: 'notify' } });
    const audit = await dispatch(second.api, 'rw:audit:list', { filter: { type: 'mode-switch' } });
    expect(audit.ok && (audit.value as { detail: string }[]).map((r) => r.detail)).toEqual([
      'off → notify',
      'notify → off',
    ]);
  }, 60_000);
});
