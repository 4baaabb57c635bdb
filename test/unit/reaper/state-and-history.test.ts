import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { globMatch, isExpendable } from '../../../electron/core/reaper/glob';
import { History } from '../../../electron/core/reaper/history';
import { emptyState, StateStore, STATE_FILE } from '../../../electron/core/reaper/state-store';
import { fleetSettings, job, machine } from './fixtures';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rw-state-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('state store', () => {
  it('starts empty when there is no file', async () => {
    expect(await new StateStore(dir).load()).toEqual({ state: emptyState(), corrupt: null });
  });

  it('round-trips the state and leaves no temporary file behind', async () => {
    const store = new StateStore(dir);
    const state = emptyState();
    state.modes.ci = 'auto';
    state.ledger.push({ fleet: 'ci', machineKey: 'ci/vm', at: 5 });
    await Promise.all([store.save(state), store.save(state), store.save(state)]);
    expect((await new StateStore(dir).load()).state).toMatchObject({
      modes: { ci: 'auto' },
      ledger: [{ at: 5 }],
    });
    expect(readdirSync(dir)).toEqual([STATE_FILE]);
  });

  it.each([
    ['not JSON', '{"version":1,"ledger":[{"fleet"', /Unexpected|JSON/],
    ['another version', '{"version": 2}', /expected 1/],
    [
      'a bad field',
      '{"version":1,"modes":{"ci":"off"},"proposals":{},"inFlight":[],"ledger":[{"fleet":"ci"}]}',
      /at ledger\.0/,
    ],
  ])(
    'a corrupt file (%s) is kept as it is, copied aside, and every save is refused',
    async (_, text, reason) => {
      const file = join(dir, STATE_FILE);
      writeFileSync(file, text);
      const store = new StateStore(dir);
      const loaded = await store.load();
      expect(loaded.state).toEqual(emptyState());
      expect(loaded.corrupt?.reason).toMatch(reason);
      expect(loaded.corrupt?.message).toContain(file);
      expect(loaded.corrupt?.message).toMatch(/every action is stopped/);
      expect(loaded.corrupt?.message).toMatch(/Repair the file, or remove it/);
      const backup = loaded.corrupt?.backup ?? '';
      expect(loaded.corrupt?.message).toContain(backup);
      expect(readFileSync(backup, 'utf8')).toBe(text);
      // Never overwritten: the budget and a mode switched off are still in there.
      await expect(store.save(emptyState())).rejects.toMatchObject({ code: 'state_corrupt' });
      expect(readFileSync(file, 'utf8')).toBe(text);
      // Repaired by a person: the next load reads it and saving works again.
      writeFileSync(file, JSON.stringify({ ...emptyState(), modes: { ci: 'off' } }));
      expect((await store.load()).state.modes).toEqual({ ci: 'off' });
      await store.save(emptyState());
    },
  );

  it('a file that cannot be read at all (a directory) also stops saving, without a copy', async () => {
    mkdirSync(join(dir, STATE_FILE));
    const store = new StateStore(dir);
    const loaded = await store.load();
    expect(loaded.corrupt?.reason).toMatch(/EISDIR/);
    expect(loaded.corrupt?.backup).toBeNull();
    await expect(store.save(emptyState())).rejects.toMatchObject({ code: 'state_corrupt' });
  });

  it('a removed corrupt file means a fresh start, chosen by a person', async () => {
    writeFileSync(join(dir, STATE_FILE), 'garbage');
    const store = new StateStore(dir);
    expect((await store.load({ backup: false })).corrupt).not.toBeNull();
    expect(readdirSync(dir)).toEqual([STATE_FILE]);
    rmSync(join(dir, STATE_FILE));
    expect(await store.load()).toEqual({ state: emptyState(), corrupt: null });
    await store.save(emptyState());
  });

  it('refuses to save an invalid state', async () => {
    const state = { ...emptyState(), modes: { ci: 'yolo' } } as never;
    await expect(new StateStore(dir).save(state)).rejects.toThrow(
      /reaper state invalid at modes.ci/,
    );
  });

  it('reads a state file written before providerSource existed', async () => {
    const inFlight = {
      proposalId: 'p',
      machineKey: 'ci/vm',
      machineName: 'vm',
      fleet: 'ci',
      rule: 'disk',
      action: 'hcloud-delete',
      providerId: '1',
      startedAt: 1,
      who: 'auto',
      hcloudActionId: null,
      step: 'x',
    };
    writeFileSync(join(dir, STATE_FILE), JSON.stringify({ ...emptyState(), inFlight: [inFlight] }));
    expect((await new StateStore(dir).load()).state.inFlight[0]?.providerSource).toBeNull();
  });
});

describe('history', () => {
  const fleet = fleetSettings('ci', { diskThresholdPct: 60 });
  const t = (i: number) => 1_000_000 + i * 30_000;

  it('counts a sample only when its observation time is new', () => {
    const h = new History();
    const m = machine({ name: 'vm', disk: 80 }, t(0));
    h.ingest([m], [fleet]);
    h.ingest([m], [fleet]);
    h.ingest([m], [fleet]);
    expect(h.of('ci/vm')?.diskOver).toEqual({ count: 1, since: t(0) });
    expect(h.of('ci/vm')?.disk).toHaveLength(1);
  });

  it('keeps the run start when old samples fall out of the ring buffer', () => {
    const h = new History({ capacity: 4 });
    for (let i = 0; i < 10; i++) h.ingest([machine({ name: 'vm', disk: 80 }, t(i))], [fleet]);
    expect(h.of('ci/vm')?.disk).toHaveLength(4);
    expect(h.of('ci/vm')?.diskOver).toEqual({ count: 10, since: t(0) });
  });

  it('tracks idle since and unreachable since, and forgets machines that left', () => {
    const h = new History();
    h.ingest([machine({ name: 'vm', jobs: [job(1)] }, t(0))], [fleet]);
    h.ingest([machine({ name: 'vm' }, t(1))], [fleet]);
    h.ingest([machine({ name: 'vm' }, t(2))], [fleet]);
    expect(h.of('ci/vm')?.idleSince).toBe(t(1));
    h.ingest([machine({ name: 'vm', disk: null, jobs: null, gitlab: [] }, t(3))], [fleet]);
    expect(h.of('ci/vm')?.idleSince).toBeNull();
    expect(h.of('ci/vm')?.unreachableSince).toBe(t(3));
    h.ingest([], [fleet]);
    expect(h.of('ci/vm')).toBeUndefined();
  });
});

describe('glob and expendable patterns', () => {
  it.each([
    ['group/*', 'group/app', true],
    ['group/*', 'group/sub/app', false],
    ['group/**', 'group/sub/app', true],
    ['lint:?', 'lint:a', true],
    ['v1.2', 'v1x2', false],
    ['feature/(x)', 'feature/(x)', true],
    ['*', '', true],
  ])('%s matches %j: %s', (glob, value, expected) => {
    expect(globMatch(glob, value)).toBe(expected);
  });

  it('all given parts must match; unknown parts never match', () => {
    expect(
      isExpendable(job(1, { project: 'g/docs', ref: 'main' }), [
        { project: 'g/docs', ref: 'main' },
      ]),
    ).toBe(true);
    expect(
      isExpendable(job(1, { project: 'g/docs', ref: 'dev' }), [{ project: 'g/docs', ref: 'main' }]),
    ).toBe(false);
    expect(isExpendable({ ...job(1), name: null }, [{ job: '*' }])).toBe(false);
    expect(isExpendable(job(1), [{}])).toBe(false);
  });
});
