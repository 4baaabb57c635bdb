import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CostService,
  PRICE_TTL_MS,
  type PriceSource,
} from '../../../electron/core/cost/cost-service';
import { redactor } from '../../../electron/core/errors/redact';
import type { HcloudServerType } from '../../../electron/core/sources/hcloud/client';
import type { Machine } from '../../../shared/machine';
import type { RunnerJob } from '../../../shared/runner';
import { CostSettings } from '../../../shared/settings';
import { testMachine } from '../../support/machines';

const cx22 = (net: string): HcloudServerType => ({
  id: 1,
  name: 'cx22',
  cores: 2,
  memory: 4,
  disk: 40,
  prices: [
    {
      location: 'fsn1',
      price_hourly: { net, gross: String(Number(net) * 1.19) },
      price_monthly: { net: '4', gross: '4.76' },
    },
  ],
});

function priceSource(answers: (() => HcloudServerType[])[]): PriceSource & { calls: number } {
  const source = {
    id: 'hetzner:prod',
    calls: 0,
    client: async () => ({
      getServerTypes: async () => {
        const answer = answers[Math.min(source.calls, answers.length - 1)]!;
        source.calls += 1;
        return answer();
      },
    }),
  };
  return source;
}

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

function service(
  source: PriceSource,
  clock: { now: number },
  machines: Machine[],
  jobs: RunnerJob[] = [],
  cacheDir?: string,
) {
  return new CostService({
    settings: CostSettings.parse({ basis: 'net' }),
    sources: [source],
    inputs: { machines: () => machines, jobs: () => jobs },
    now: () => clock.now,
    ...(cacheDir ? { cacheDir } : {}),
  });
}

describe('CostService', () => {
  it('reads prices once a day, and from the state dir after a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rw-cost-'));
    dirs.push(dir);
    const clock = { now: 1_000_000 };
    const vm = testMachine('vm', { location: 'fsn1', seenBy: ['hetzner:prod'] });
    const source = priceSource([() => [cx22('0.006')], () => [cx22('0.007')]]);
    const first = service(source, clock, [vm], [], dir);
    expect((await first.report(24)).fleetPerHour).toBeCloseTo(0.006, 12);
    clock.now += 3_600_000;
    await first.report(24);
    expect(source.calls).toBe(1);
    expect(await readdir(join(dir, 'prices'))).toEqual(['hetzner_prod.json']);

    // A new process within the day reads the cached list: no request.
    const second = service(source, clock, [vm], [], dir);
    const cached = await second.report(24);
    expect(source.calls).toBe(1);
    expect(cached.pricesFetchedAt).toBe(1_000_000);

    // After a day the list is read again.
    clock.now = 1_000_000 + PRICE_TTL_MS;
    expect((await second.report(24)).fleetPerHour).toBeCloseTo(0.007, 12);
    expect(source.calls).toBe(2);
  });

  it('keeps an old list when renewing fails, and names the project in a warning without the token', async () => {
    redactor.register('hc-secret-token-123');
    const clock = { now: 0 };
    const vm = testMachine('vm', { location: 'fsn1', seenBy: ['hetzner:prod'] });
    const source = priceSource([
      () => [cx22('0.006')],
      () => {
        throw new Error('401 for token hc-secret-token-123');
      },
    ]);
    const svc = service(source, clock, [vm]);
    await svc.report(24);
    clock.now = PRICE_TTL_MS + 1;
    const report = await svc.report(24);
    expect(report.fleetPerHour).toBeCloseTo(0.006, 12);
    expect(report.warnings).toHaveLength(1);
    expect(report.warnings[0]).toContain('hetzner:prod: prices unavailable');
    expect(report.warnings.join()).not.toContain('hc-secret-token-123');
  });

  it('without any price list every machine is unpriced, never 0', async () => {
    const source = priceSource([
      () => {
        throw new Error('unreachable');
      },
    ]);
    const report = await service(source, { now: 0 }, [
      testMachine('vm', { location: 'fsn1' }),
    ]).report(24);
    expect(report.fleetPerHour).toBe(0);
    expect(report.fleets).toEqual([{ fleet: 'ci', perHour: 0, machines: 1, unpriced: 1 }]);
    expect(report.machines[0]!.unpricedReason).toBe('no price list (no Hetzner project answered)');
  });

  it('prices jobs on VMs that are gone by now from what it remembered of them', async () => {
    const clock = { now: 2 * 3_600_000 };
    const machines: Machine[] = [
      testMachine('vm-old', { location: 'fsn1', seenBy: ['hetzner:prod'] }),
    ];
    const job: RunnerJob = {
      key: 'gl/1',
      instance: 'gl',
      jobId: 1,
      runnerId: 1,
      status: 'success',
      name: 'build',
      projectId: 1,
      projectPath: 'g/app',
      pipelineId: 1,
      ref: 'main',
      user: null,
      jobUrl: null,
      createdAt: 0,
      startedAt: 0,
      finishedAt: 3_600_000,
      machine: 'vm-old',
    };
    const svc = service(priceSource([() => [cx22('0.006')]]), clock, machines, [job]);
    svc.remember(machines);
    machines.splice(0); // the VM was deleted
    const report = await svc.report(24);
    expect(report.jobs).toHaveLength(1);
    expect(report.jobs[0]!.cost).toBeCloseTo(0.006, 12);
    expect(report.machines).toEqual([]);
  });
});
