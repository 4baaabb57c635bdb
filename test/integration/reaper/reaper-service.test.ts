import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Settings } from '../../../shared/settings';
import { createApiHandlers, dispatch } from '../../../electron/core/api';
import { readAudit } from '../../../electron/core/audit/audit-log';
import { Engine } from '../../../electron/core/engine';
import { createReaper } from '../../../electron/core/reaper/create-reaper';
import type { Reaper } from '../../../electron/core/reaper/reaper';
import { STATE_FILE } from '../../../electron/core/reaper/state-store';
import { createHcloudSource } from '../../../electron/core/sources/hcloud/source';
import { HcloudSim } from '../../sim/hcloud-sim';
import { World, worldJob } from './world';

// The reaper on a real engine: the real Hetzner source and delete action against the
// Hetzner simulator, fake probe and GitLab collectors over a scripted world, real audit
// log and state file in a temporary directory. The clock is manual: one cycle = 30 s.
let sim: HcloudSim;
let dir: string;
let clock: number;
let engine: Engine;
let reaper: Reaper | null;
let world: World;
let settings: Settings;
const ids = new Map<string, number>();

function makeSettings(reaperSettings: Record<string, unknown> = {}): Settings {
  return Settings.parse({
    fleets: [{ id: 'ci', reaper: { minFleetSize: 1, ...reaperSettings } }],
    // The label selector is what identifies the project's servers as the fleet's autoscaled VMs.
    hetzner: [
      {
        id: 'p',
        fleet: 'ci',
        token: { env: 'HCLOUD_TOKEN' },
        apiUrl: sim.url,
        labelSelector: 'role=ci',
      },
    ],
    stateDir: dir,
  });
}

async function boot(
  reaperSettings: Record<string, unknown> = {},
  hcloud: Record<string, unknown> = {},
): Promise<void> {
  settings = makeSettings(reaperSettings);
  const token = sim.tokensOf().token;
  const secrets = { resolve: async () => token };
  engine = new Engine({
    sources: [
      createHcloudSource({ settings: settings.hetzner[0] as Settings['hetzner'][number], secrets }),
      world.probe(),
      world.gitlab(),
    ],
    now: () => clock,
  });
  reaper = await createReaper({
    settings,
    engine,
    secrets,
    now: () => clock,
    hcloud: {
      pollIntervalMs: 10,
      lockedDelayMs: 10,
      backoff: { baseMs: 5, maxMs: 10, jitter: 0 },
      ...hcloud,
    },
    shutdownGraceMs: 50,
  });
}

async function cycles(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    clock += 30_000;
    await engine.runOnce();
    await reaper?.idle();
  }
}

function addVm(name: string, disk: number, jobs: number[] = []): void {
  const server = sim.addServer('default', {
    name,
    publicIp: `127.0.20.${ids.size + 1}`,
    labels: { role: 'ci' },
  });
  ids.set(name, server.id);
  world.set(name, { disk, jobs: jobs.map((id) => worldJob(id)) });
}

const appInfo = {
  name: 'Runner Watch' as const,
  version: 't',
  host: 'serve' as const,
  demo: false,
  startedAt: 0,
  warnings: [],
};

const proposalOf = (name: string) => reaper?.proposals().find((p) => p.machineName === name);
const alive = () =>
  sim
    .list()
    .map((s) => s.name)
    .sort();

beforeEach(async () => {
  sim = await HcloudSim.start({ deleteDelayMs: 0 });
  dir = mkdtempSync(join(tmpdir(), 'rw-reaper-'));
  clock = Date.UTC(2026, 10, 23, 10, 0, 0);
  world = new World('ci');
  ids.clear();
  reaper = null;
});
afterEach(async () => {
  await reaper?.dispose();
  await engine?.dispose();
  await sim.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('reaper service on the engine and the Hetzner simulator', () => {
  it('proposes after N samples, a person confirms, the server is deleted, everything is audited', async () => {
    addVm('vm-full', 90);
    addVm('vm-busy', 95, [41]);
    addVm('vm-ok', 20, [42]);
    await boot();
    await cycles(2);
    expect(proposalOf('vm-full')).toBeUndefined();
    await cycles(1);
    const full = proposalOf('vm-full');
    expect(full?.blocked).toEqual([]);
    expect(proposalOf('vm-busy')?.blocked.join()).toMatch(/non-expendable job #41/);
    expect(
      engine
        .snapshot()
        .proposals.map((p) => p.machineName)
        .sort(),
    ).toEqual(['vm-busy', 'vm-full']);

    const result = await reaper?.confirm(full?.id ?? '', 'alice@ws1');
    expect(result).toMatchObject({ outcome: 'ok' });
    expect(alive()).toEqual(['vm-busy', 'vm-ok']);
    // The busy VM is never touched, even when asked.
    const refused = await reaper?.confirm(proposalOf('vm-busy')?.id ?? '', 'alice@ws1');
    expect(refused?.outcome).toBe('refused');
    expect(alive()).toEqual(['vm-busy', 'vm-ok']);

    await reaper?.dispose();
    const { records } = await readAudit({ dir });
    const types = records.map((r) => r.type).reverse();
    expect(types).toEqual([
      'proposal',
      'proposal',
      'confirm',
      'action-start',
      'result',
      'confirm',
      'refusal',
    ]);
    expect(records.find((r) => r.type === 'confirm')?.who).toBe('alice@ws1');
    const state = JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8')) as {
      inFlight: unknown[];
      ledger: unknown[];
    };
    expect(state.inFlight).toEqual([]);
    expect(state.ledger).toHaveLength(1);
  });

  it('a job that starts between proposal and confirmation makes the executor refuse', async () => {
    addVm('vm-full', 90);
    addVm('vm-other', 20, [7]);
    await boot();
    await cycles(3);
    const id = proposalOf('vm-full')?.id ?? '';
    world.set('vm-full', { disk: 90, jobs: [worldJob(99)] });
    const result = await reaper?.confirm(id, 'bob@ws2');
    expect(result?.outcome).toBe('refused');
    expect(result?.reasons.join('\n')).toMatch(/#99/);
    expect(alive()).toContain('vm-full');
  });

  it('GitLab down at the re-check: refused', async () => {
    addVm('vm-full', 90);
    addVm('vm-other', 20, [7]);
    await boot();
    await cycles(3);
    world.gitlabDown = true;
    const result = await reaper?.confirm(proposalOf('vm-full')?.id ?? '', 'bob@ws2');
    expect(result?.outcome).toBe('refused');
    expect(alive()).toContain('vm-full');
  });

  it('auto mode kills within the guards: the minimum fleet size keeps the last VMs', async () => {
    addVm('vm-a', 91);
    addVm('vm-b', 92);
    addVm('vm-c', 93);
    await boot({ mode: 'auto', minFleetSize: 2 });
    await cycles(4);
    expect(alive()).toEqual(['vm-a', 'vm-b']);
    await cycles(3);
    expect(alive()).toEqual(['vm-a', 'vm-b']);
    expect(proposalOf('vm-a')?.blocked.join()).toMatch(/minimum fleet size reached/);
    const { records } = await readAudit({ dir, filter: { type: 'confirm' } });
    expect(records.map((r) => r.who)).toEqual(['auto']);
  });

  it('auto mode: a job that starts during the re-check is refused, and the VM goes once it is free again', async () => {
    addVm('vm-full', 90);
    addVm('vm-a', 20, [1]);
    addVm('vm-b', 20, [2]);
    // Probe 4 is the re-check of the first automatic attempt: a job lands right then.
    world.beforeProbe = (n) => {
      if (n === 4) world.set('vm-full', { disk: 90, jobs: [worldJob(77)] });
      if (n === 6) world.set('vm-full', { disk: 90, jobs: [] });
    };
    await boot({ mode: 'auto', minFleetSize: 1 });
    await cycles(3);
    expect(alive()).toContain('vm-full');
    const refused = await readAudit({ dir, filter: { type: 'refusal' } });
    expect(refused.records[0]?.reasons.join('\n')).toMatch(/#77/);
    expect(proposalOf('vm-full')?.state).toBe('refused');
    // The job ends; the same episode goes on and auto mode tries again after its pause.
    await cycles(4);
    expect(alive()).toContain('vm-full');
    clock += 10 * 60_000;
    await cycles(1);
    expect(alive()).not.toContain('vm-full');
    const confirms = await readAudit({ dir, filter: { type: 'confirm' } });
    expect(confirms.records.map((r) => r.who)).toEqual(['auto', 'auto']);
  });

  it('auto mode respects the hourly budget', async () => {
    for (const n of [1, 2, 3, 4, 5]) addVm(`vm-${n}`, 90 + n);
    await boot({ mode: 'auto', minFleetSize: 0, maxKillsPerHour: 2 });
    await cycles(6);
    expect(alive()).toHaveLength(3);
  });

  it('dry-run mode deletes nothing and logs what it would do; switching modes is audited', async () => {
    addVm('vm-full', 90);
    addVm('vm-other', 20, [1]);
    const lines: string[] = [];
    settings = makeSettings({ mode: 'dry-run' });
    const token = sim.tokensOf().token;
    engine = new Engine({
      sources: [
        createHcloudSource({
          settings: settings.hetzner[0] as Settings['hetzner'][number],
          secrets: { resolve: async () => token },
        }),
        world.probe(),
        world.gitlab(),
      ],
      now: () => clock,
    });
    reaper = await createReaper({
      settings,
      engine,
      secrets: { resolve: async () => token },
      now: () => clock,
      log: (l) => lines.push(l),
    });
    await cycles(4);
    expect(alive()).toContain('vm-full');
    expect(lines.join('\n')).toMatch(/dry-run: would hcloud-delete vm-full/);
    await reaper.setMode('ci', 'off', 'carol@ws3');
    expect(reaper.mode('ci')).toBe('off');
    const { records } = await readAudit({ dir, filter: { type: 'mode-switch' } });
    expect(records[0]).toMatchObject({ modeFrom: 'dry-run', modeTo: 'off', who: 'carol@ws3' });
  });

  it('serves the reaper channels through dispatch, with input validation', async () => {
    addVm('vm-full', 90);
    addVm('vm-other', 20, [1]);
    await boot();
    await cycles(3);
    const handlers = createApiHandlers({
      engine,
      info: {
        name: 'Runner Watch',
        version: 't',
        host: 'serve',
        demo: false,
        startedAt: 0,
        warnings: [],
      },
      reaper: reaper as Reaper,
    });
    const proposals = await dispatch(handlers, 'rw:reaper:proposals', {});
    expect(proposals.ok && (proposals.value as unknown[]).length).toBe(1);
    const bad = await dispatch(handlers, 'rw:reaper:confirm', { proposalId: 42 });
    expect(bad).toMatchObject({ ok: false, error: { code: 'bad_input' } });
    const unknown = await dispatch(handlers, 'rw:reaper:confirm', { proposalId: 'p-nope' });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'not_found' } });
    const badMode = await dispatch(handlers, 'rw:reaper:set-mode', { fleet: 'ci', mode: 'yolo' });
    expect(badMode).toMatchObject({ ok: false, error: { code: 'bad_input' } });
    const id = proposalOf('vm-full')?.id ?? '';
    const recheck = await dispatch(handlers, 'rw:reaper:recheck', { proposalId: id });
    expect(recheck).toMatchObject({ ok: true, value: { executable: true } });
    const done = await dispatch(handlers, 'rw:reaper:confirm', { proposalId: id });
    expect(done).toMatchObject({ ok: true, value: { outcome: 'ok' } });
    const audit = await dispatch(handlers, 'rw:audit:list', { limit: 2 });
    expect(audit.ok && (audit.value as { type: string }[]).map((r) => r.type)).toEqual([
      'result',
      'action-start',
    ]);
  });

  it('restart while a delete was in flight: checked against Hetzner, completed, never repeated', async () => {
    addVm('vm-gone', 90);
    addVm('vm-running', 90);
    const gone = ids.get('vm-gone') as number;
    sim.removeServer(gone);
    const inFlight = (name: string, id: number) => ({
      proposalId: `p-${name}`,
      machineKey: `ci/${name}`,
      machineName: name,
      fleet: 'ci',
      rule: 'disk',
      action: 'hcloud-delete',
      providerId: String(id),
      providerSource: 'hetzner:p',
      startedAt: clock - 5_000,
      who: 'auto',
      hcloudActionId: null,
      step: 'deleting',
    });
    writeFileSync(
      join(dir, STATE_FILE),
      JSON.stringify({
        version: 1,
        modes: {},
        proposals: {},
        inFlight: [
          inFlight('vm-gone', gone),
          inFlight('vm-running', ids.get('vm-running') as number),
        ],
        ledger: [],
      }),
    );
    await boot();
    expect(sim.requests.filter((r) => r.method === 'DELETE')).toEqual([]);
    const { records } = await readAudit({ dir, filter: { type: 'recovery' } });
    expect(records.map((r) => [r.machineName, r.outcome]).sort()).toEqual([
      ['vm-gone', 'ok'],
      ['vm-running', 'failed'],
    ]);
    expect(alive()).toEqual(['vm-running']);
  });

  it('an action left in flight that cannot be checked stays in flight, and is retried at most once a minute', async () => {
    addVm('vm-x', 20, [1]);
    writeFileSync(
      join(dir, STATE_FILE),
      JSON.stringify({
        version: 1,
        modes: {},
        proposals: {},
        ledger: [],
        inFlight: [
          {
            proposalId: 'p-x',
            machineKey: 'ci/vm-x',
            machineName: 'vm-x',
            fleet: 'ci',
            rule: 'disk',
            action: 'hcloud-delete',
            providerId: String(ids.get('vm-x')),
            // A project that is no longer configured: nobody can ask its API.
            providerSource: 'hetzner:removed',
            startedAt: clock,
            who: 'auto',
            hcloudActionId: null,
            step: 'deleting',
          },
        ],
      }),
    );
    await boot();
    const recoveries = async () => (await readAudit({ dir, filter: { type: 'recovery' } })).records;
    expect((await recoveries()).map((r) => r.outcome)).toEqual(['failed']);
    expect((await recoveries())[0]?.detail).toMatch(
      /no Hetzner project configured for source hetzner:removed/,
    );
    await cycles(1);
    expect(await recoveries()).toHaveLength(1);
    clock += 60_000;
    await cycles(1);
    expect(await recoveries()).toHaveLength(2);
    expect(sim.requests.filter((r) => r.method === 'DELETE')).toEqual([]);
  });

  it('a corrupt state file stops every action with a message naming it; nothing is lost; removing it resumes', async () => {
    const file = join(dir, STATE_FILE);
    // A budget entry and a fleet switched off, cut short by a broken editor or disk.
    const text = '{"version":1,"modes":{"ci":"off"},"proposals":{},"inFlight":[],"ledger":[{"fl';
    writeFileSync(file, text);
    addVm('vm-full', 90);
    addVm('vm-other', 20);
    await boot();
    await cycles(3);
    const { records } = await readAudit({ dir, filter: { type: 'recovery' } });
    expect(records[0]?.outcome).toBe('failed');
    expect(records[0]?.detail).toContain(`the reaper state file ${file} is unreadable`);
    const backup = String(records[0]?.detail).match(/a copy is at (\S+?);?\. /)?.[1] ?? '';
    expect(readFileSync(backup, 'utf8')).toBe(text);
    expect(reaper?.warnings().join()).toMatch(/every action is stopped/);
    const proposal = proposalOf('vm-full');
    expect(proposal?.blocked[0]).toContain(file);
    // The confirm channel answers with the typed error; nothing is deleted, nothing written.
    const api = createApiHandlers({ engine, info: appInfo, reaper: reaper as Reaper });
    const answer = await dispatch(api, 'rw:reaper:confirm', { proposalId: proposal?.id ?? '' });
    expect(answer).toMatchObject({ ok: false, error: { code: 'state_corrupt' } });
    expect(answer.ok ? '' : answer.error.message).toContain(file);
    const mode = await dispatch(api, 'rw:reaper:set-mode', { fleet: 'ci', mode: 'auto' });
    expect(mode).toMatchObject({ ok: false, error: { code: 'state_corrupt' } });
    expect(alive()).toEqual(['vm-full', 'vm-other']);
    expect(readFileSync(file, 'utf8')).toBe(text);
    // Still so after a restart: never "fresh" on its own.
    await reaper?.dispose();
    await engine.dispose();
    await boot();
    await cycles(3);
    expect(readFileSync(file, 'utf8')).toBe(text);
    await expect(
      reaper?.confirm(proposalOf('vm-full')?.id ?? '', 'alice@ws1'),
    ).rejects.toMatchObject({ code: 'state_corrupt' });
    // A person removes it (a deliberate fresh start): the next cycle resumes, audited.
    rmSync(file);
    await cycles(1);
    expect(reaper?.warnings()).toEqual([]);
    expect(proposalOf('vm-full')?.blocked).toEqual([]);
    const result = await reaper?.confirm(proposalOf('vm-full')?.id ?? '', 'alice@ws1');
    expect(result?.outcome).toBe('ok');
    expect(alive()).toEqual(['vm-other']);
    const after = await readAudit({ dir, filter: { type: 'recovery' } });
    expect(after.records[0]?.detail).toMatch(/readable again/);
  });

  it('shutdown during a hanging delete: interrupted, left in flight, then recovered on the next start', async () => {
    addVm('vm-full', 90);
    addVm('vm-other', 20, [1]);
    // The server is locked and the lock wait is long: the delete is mid-way when shutdown comes.
    await boot({}, { lockedDelayMs: 60_000 });
    await cycles(3);
    sim.lockServer(ids.get('vm-full') as number);
    const pending = reaper?.confirm(proposalOf('vm-full')?.id ?? '', 'alice@ws1');
    while (!sim.requests.some((r) => r.method === 'DELETE'))
      await new Promise((r) => setTimeout(r, 10));
    await (reaper as Reaper).dispose();
    expect((await pending)?.outcome).toBe('interrupted');
    const state = JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8')) as {
      inFlight: { machineName: string }[];
    };
    expect(state.inFlight.map((a) => a.machineName)).toEqual(['vm-full']);
    await engine.dispose();
    await boot();
    const { records } = await readAudit({ dir, filter: { type: 'recovery' } });
    expect(records[0]).toMatchObject({ machineName: 'vm-full', outcome: 'failed' });
    expect(sim.requests.filter((r) => r.method === 'DELETE')).toHaveLength(1);
    expect((await readAudit({ dir, filter: { type: 'interrupted' } })).records).toHaveLength(1);
    expect(records[0]?.detail).toMatch(/still exists \(status running\)/);
  });
});

describe('withdrawn proposals', () => {
  it('get a closing record when no rule fires any more, and a new proposal record if it fires again', async () => {
    addVm('vm-full', 90);
    addVm('vm-other', 20, [7]);
    await boot();
    await cycles(3);
    const first = proposalOf('vm-full');
    expect(first).toBeDefined();
    // Someone cleaned the disk: the proposal disappears without anyone acting on it.
    world.set('vm-full', { disk: 30, jobs: [] });
    await cycles(1);
    expect(proposalOf('vm-full')).toBeUndefined();
    const { records } = await readAudit({ dir });
    const withdrawn = records.filter((r) => r.type === 'withdrawn');
    expect(withdrawn).toHaveLength(1);
    expect(withdrawn[0]).toMatchObject({
      machineName: 'vm-full',
      proposalId: first?.id,
      detail: expect.stringContaining('no rule fires on it any more'),
    });
    // Nothing new is withdrawn on the next cycles.
    await cycles(1);
    expect((await readAudit({ dir })).records.filter((r) => r.type === 'withdrawn')).toHaveLength(
      1,
    );
  });
});
