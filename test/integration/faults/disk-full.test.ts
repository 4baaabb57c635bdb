import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Settings, type SettingsInput } from '../../../shared/settings';
import { AuditLog, readAudit } from '../../../electron/core/audit/audit-log';
import type { Reaper } from '../../../electron/core/reaper/reaper';
import type { Runtime } from '../../../electron/core/runtime';
import { JsonFileSettingsStore } from '../../../electron/core/config/json-settings-store';
import { SecretBlobStore } from '../../../electron/core/config/secret-blob-store';
import { CostService } from '../../../electron/core/cost/cost-service';
import { JobMetricsStore } from '../../../electron/core/job-metrics/store';
import { emptyState, StateStore } from '../../../electron/core/reaper/state-store';
import { CostSettings } from '../../../shared/settings';
import { JobMetrics } from '../../../shared/job-metrics';
import { testMachine } from '../../support/machines';
import { ManualClock } from '../../sim/clock';
import { startSimulatedFleet, type SimulatedFleet } from '../../sim/fleet';
import { faultTally } from './tally';
import { startSimReaper } from '../../support/sim-reaper';
import { simSecrets } from '../../support/sim-secrets';

/*
 * The data directory fills up (ENOSPC), on a real filesystem: a 512 KiB tmpfs mounted for
 * the test. Writes must fail loudly, and in `auto` mode no kill may happen while its
 * audit record cannot be written. Once there is room again, kills resume with their full
 * audit trail (proposal, confirm, action-start, result).
 */
const tally = faultTally('disk full');

function tmpfsSkipReason(): string | null {
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  const probe = mkdtempSync(join(tmpdir(), 'rw-tmpfs-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return null;
  } catch {
    return 'mount -t tmpfs is not allowed here';
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}
const skip = tmpfsSkipReason();
if (skip) console.warn(`skipping disk-full tests: ${skip}`);

describe.skipIf(skip !== null)('data directory full (ENOSPC on a tmpfs)', () => {
  let mountPoint: string;
  let clock: ManualClock;
  let fleet: SimulatedFleet;
  let runtime: Runtime;
  let reaper: Reaper;
  let settings: Settings;
  const logLines: string[] = [];
  const filler = () => join(mountPoint, 'filler');
  const fill = () => {
    // fill to the last byte: dd stops with ENOSPC
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${filler()}`, 'bs=4k'], { stdio: 'ignore' });
    } catch {
      /* ENOSPC is the point */
    }
  };
  const free = () => rmSync(filler(), { force: true });

  beforeAll(async () => {
    mountPoint = mkdtempSync(join(tmpdir(), 'rw-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k,mode=0700', 'tmpfs', mountPoint]);
    clock = new ManualClock(Date.UTC(2026, 10, 23, 10));
    fleet = await startSimulatedFleet({ clock, vms: 4, seed: 7, stuck: 1, deleteDelayMs: 0 });
    const input = fleet.settings;
    const stateDir = join(mountPoint, 'state');
    mkdirSync(stateDir);
    const withAuto: SettingsInput = {
      ...input,
      fleets: (input.fleets ?? []).map((f) => ({
        ...f,
        reaper: { mode: 'auto', diskThresholdPct: 80, minFleetSize: 1, maxKillsPerHour: 4 },
      })),
      stateDir,
    };
    settings = Settings.parse(withAuto);
    const env = fleet.env;
    const secrets = simSecrets(env);
    ({ runtime, reaper } = await startSimReaper({
      settings,
      secrets,
      now: () => clock.now(),
      reaper: { log: (line) => logLines.push(line) },
    }));
  });
  afterAll(async () => {
    await reaper?.dispose();
    await runtime?.dispose();
    await fleet?.dispose();
    clock?.dispose();
    if (mountPoint) {
      try {
        execFileSync('umount', [mountPoint], { stdio: 'ignore' });
      } catch {
        /* already gone */
      }
      rmSync(mountPoint, { recursive: true, force: true });
    }
    tally.print();
  });

  /*
   * Every file the app keeps besides the audit log, written through its own store: on a
   * full disk the write rejects with ENOSPC (or, for the price cache, which must not fail
   * a report, says so in the report's warnings), and the previous version stays whole —
   * no torn file, no temp file left behind.
   */
  const T = Date.UTC(2026, 10, 23, 10);
  const jobMetrics = (jobId: number, points: number) => {
    const timestamps = Array.from({ length: points }, (_, i) => T + i * 1000);
    return JobMetrics.parse({
      job: {
        instance: 'gl',
        jobId,
        name: 'build',
        projectPath: 'g/app',
        jobUrl: null,
        status: 'success',
        startedAt: T,
        finishedAt: T + points * 1000,
        machine: 'vm-1',
      },
      fleet: 'ci',
      prometheus: 'p',
      window: { startedAt: T, endedAt: T + points * 1000, stepSec: 1 },
      timestamps,
      series: [
        {
          metric: 'cpu',
          label: 'CPU busy',
          unit: 'percent',
          values: timestamps.map((_, i) => (i * 7919) % 100),
        },
      ],
      phases: [],
      origin: 'prometheus',
      savedAt: T + points * 1000,
      warnings: [],
    });
  };
  interface Writer {
    /** Writes the first version (disk has room). */
    first(dir: string): Promise<void>;
    /** Writes a second, bigger version on the full disk; resolves to what went wrong. */
    onFullDisk(dir: string): Promise<unknown>;
    /** What is on disk now, read back through the store. */
    readBack(dir: string): Promise<unknown>;
    expected: unknown;
  }
  const writers: [string, Writer][] = [
    [
      'reaper state',
      {
        first: (dir) => new StateStore(dir).save({ ...emptyState(), modes: { ci: 'notify' } }),
        onFullDisk: (dir) =>
          new StateStore(dir)
            .save({
              ...emptyState(),
              modes: { ci: 'off' },
              ledger: Array.from({ length: 200 }, (_, i) => ({
                fleet: 'ci',
                machineKey: `ci/vm-${i}`,
                at: T + i,
              })),
            })
            .catch((e: unknown) => e),
        readBack: async (dir) => (await new StateStore(dir).load()).state.modes,
        expected: { ci: 'notify' },
      },
    ],
    [
      'secret blob',
      {
        first: (dir) => new SecretBlobStore(dir).set('gitlab', Buffer.from('cipher-v1')),
        onFullDisk: (dir) =>
          new SecretBlobStore(dir).set('gitlab', Buffer.alloc(16_384, 7)).catch((e: unknown) => e),
        readBack: async (dir) => (await new SecretBlobStore(dir).get('gitlab'))?.toString(),
        expected: 'cipher-v1',
      },
    ],
    [
      'job metrics',
      {
        first: (dir) => new JobMetricsStore({ dir, maxBytes: 1e7 }).save(jobMetrics(1, 10)),
        onFullDisk: (dir) =>
          new JobMetricsStore({ dir, maxBytes: 1e7 })
            .save(jobMetrics(1, 2_000))
            .catch((e: unknown) => e),
        readBack: async (dir) =>
          (await new JobMetricsStore({ dir, maxBytes: 1e7 }).get('gl', 1))?.timestamps.length,
        expected: 10,
      },
    ],
    [
      'settings file',
      {
        first: (dir) =>
          new JsonFileSettingsStore(join(dir, 'fleet.json')).write({ fleets: [{ id: 'ci' }] }),
        onFullDisk: (dir) =>
          new JsonFileSettingsStore(join(dir, 'fleet.json'))
            .write({
              fleets: [{ id: 'ci', name: 'x'.repeat(100), watchedMounts: ['/'] }],
              stateDir: join(dir, 'state'),
            })
            .catch((e: unknown) => e),
        readBack: (dir) => new JsonFileSettingsStore(join(dir, 'fleet.json')).read(),
        expected: { fleets: [{ id: 'ci' }] },
      },
    ],
  ];

  it.each(writers)(
    '%s: the write on a full disk rejects with ENOSPC, the previous version stays whole',
    async (name, writer) => {
      tally.inject(`${name} on full disk`);
      const dir = join(mountPoint, name.replace(/\W+/g, '-'));
      mkdirSync(dir);
      try {
        await writer.first(dir);
        const before = readdirSync(dir).sort();
        fill();
        let error: unknown;
        try {
          error = await writer.onFullDisk(dir);
        } finally {
          free();
        }
        expect(error, `${name} must fail loudly`).toMatchObject({ code: 'ENOSPC' });
        expect(await writer.readBack(dir)).toEqual(writer.expected);
        // the failed write's temp file is gone: nothing but what was there before
        expect(readdirSync(dir).sort()).toEqual(before);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      tally.survived(`${name} on full disk`);
    },
  );

  it('price cache on a full disk: the report still has its prices, and its warnings say the cache was not saved', async () => {
    tally.inject('price cache on full disk');
    const dir = join(mountPoint, 'cost');
    mkdirSync(dir);
    const source = {
      id: 'hetzner:prod',
      client: () =>
        Promise.resolve({
          getServerTypes: () =>
            Promise.resolve([
              {
                id: 1,
                name: 'cx22',
                cores: 2,
                memory: 4,
                disk: 40,
                prices: [
                  {
                    location: 'fsn1',
                    price_hourly: { net: '0.006', gross: '0.00714' },
                    price_monthly: { net: '4', gross: '4.76' },
                  },
                ],
              },
            ]),
        }),
    };
    const vm = testMachine('vm', { location: 'fsn1', seenBy: ['hetzner:prod'] });
    const cost = new CostService({
      settings: CostSettings.parse({ basis: 'net' }),
      sources: [source],
      inputs: { machines: () => [vm], jobs: () => [] },
      cacheDir: dir,
    });
    try {
      fill();
      let report;
      try {
        report = await cost.report(24);
      } finally {
        free();
      }
      expect(report.fleetPerHour).toBeCloseTo(0.006, 12);
      expect(report.warnings.join('\n')).toMatch(/price cache not saved .*ENOSPC/);
      expect(existsSync(join(dir, 'prices', 'hetzner_prod.json'))).toBe(false);
    } finally {
      cost.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
    tally.survived('price cache on full disk');
  });

  async function cycle(tickMs = 10_000): Promise<void> {
    clock.tick(tickMs);
    await fleet.settled();
    await runtime.engine.runOnce();
    await reaper.idle();
  }
  const deletes = () => fleet.hcloud.requests.filter((r) => r.method === 'DELETE').length;

  it('an append on a full disk rejects with ENOSPC and the next one after freeing space is whole', async () => {
    tally.inject('audit append on full disk');
    const dir = join(mountPoint, 'audit-only');
    mkdirSync(dir);
    const log = new AuditLog({ dir });
    await log.append({ type: 'proposal', fleet: 'ci', proposalId: 'before' });
    fill();
    await expect(
      log.append({ type: 'proposal', fleet: 'ci', proposalId: 'lost', detail: 'x'.repeat(8192) }),
    ).rejects.toMatchObject({ code: 'ENOSPC' });
    free();
    await log.append({ type: 'proposal', fleet: 'ci', proposalId: 'after' });
    const { records } = await readAudit({ dir });
    expect(records.map((r) => r.proposalId)).toEqual(['after', 'before']);
    rmSync(dir, { recursive: true, force: true });
    tally.survived('audit append on full disk');
  });

  it('auto mode: no kill while the audit log cannot be written; the failure is logged; kills resume with a full trail', async () => {
    tally.inject('auto mode with state dir full');
    const stuck = fleet.world.vms().find((vm) => vm.stuck);
    expect(stuck).toBeDefined();
    // the first cycle writes the state dir's files; then the disk is full
    await cycle();
    fill();
    try {
      for (let i = 0; i < 5; i++) await cycle();
      expect(deletes()).toBe(0);
      expect(fleet.hcloud.list().map((s) => s.name)).toContain(stuck!.name);
      expect(logLines.join('\n')).toMatch(/ENOSPC|no space left/i);
      // no tight retry loop: at most one attempt per retry pause (10 min)
      const attempts = logLines.filter((l) => l.startsWith('auto ')).length;
      expect(attempts).toBeLessThanOrEqual(1);
    } finally {
      free();
    }
    // a failed attempt is retried after auto mode's pause (10 min)
    for (let i = 0; i < 12 && deletes() === 0; i++) await cycle(60_000);
    expect(deletes()).toBe(1);
    expect(fleet.hcloud.list().map((s) => s.name)).not.toContain(stuck!.name);
    const { records } = await readAudit({
      dir: settings.stateDir,
      filter: { machine: stuck!.name },
    });
    expect(records.map((r) => r.type).reverse()).toEqual([
      'proposal',
      'confirm',
      'action-start',
      'result',
    ]);
    expect(records[0]?.outcome).toBe('ok');
    tally.survived('auto mode with state dir full');
  });
});
