import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertsView } from '../../../shared/alerts';
import { CostReport } from '../../../shared/cost';
import { JOB_COST_CSV_COLUMNS } from '../../../shared/cost-csv';
import { QueueHealth } from '../../../shared/queue';
import { Settings } from '../../../shared/settings';
import { SERVER_TYPES } from '../../sim/hcloud-sim';
import { startSimulatedFleet, type SimulatedFleet } from '../../sim/fleet';
import { childEnv, runCli } from './run-cli';

const VAT = 1.19;

describe('runner-watch cost, queue and alerts on the simulated fleet (child process)', () => {
  let dir: string;
  let sim: SimulatedFleet;
  let config: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rw-cli-cost-'));
    // Two VMs stuck with full disks: disk alerts to acknowledge and mute.
    sim = await startSimulatedFleet({ vms: 4, seed: 11, stuck: 2 });
    await sim.settled();
    config = join(dir, 'config.json');
    await writeFile(config, JSON.stringify(sim.settings, null, 2));
  });
  afterAll(async () => {
    await sim?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('cost --json: fleet cost per hour from the simulated prices, and job cost within its bounds', async () => {
    const run = await runCli(['cost', '--config', config, '--since', '6h', '--json'], {
      env: childEnv(sim.env),
    });
    expect(run.code, run.stderr).toBe(0);
    for (const secret of Object.values(sim.env))
      expect(run.stdout + run.stderr).not.toContain(secret);
    const report = CostReport.parse(JSON.parse(run.stdout));
    expect(report).toMatchObject({ currency: 'EUR', basis: 'gross', warnings: [] });

    // Every listed VM of the fleet is a priced server of the simulated type in fsn1.
    const settings = Settings.parse(sim.settings);
    const fleet = report.fleets.find((f) => f.fleet === settings.fleets[0]!.id)!;
    expect(fleet.machines).toBeGreaterThan(0);
    expect(fleet.unpriced).toBe(0);
    const types = new Map(SERVER_TYPES.map((t) => [t.name, t.hourly * VAT]));
    const expected = report.machines
      .filter((m) => m.fleet === fleet.fleet)
      .reduce((sum, m) => sum + types.get(m.serverType!)!, 0);
    expect(fleet.perHour).toBeCloseTo(expected, 9);
    expect(report.machines.every((m) => m.location === 'fsn1')).toBe(true);

    // Priced jobs cost between price × duration ÷ most jobs sharing, and price × duration.
    const priced = report.jobs.filter((j) => j.cost !== null);
    expect(priced.length).toBeGreaterThan(0);
    const hourly = types.get(sim.world.serverType)!;
    for (const job of priced) {
      const whole = (hourly * job.durationSec) / 3600;
      expect(job.cost!).toBeLessThanOrEqual(whole + 1e-12);
      expect(job.cost!).toBeGreaterThanOrEqual(whole / job.maxSharing - 1e-12);
    }
    // Per-project rows add up to the priced jobs.
    const dayTotal = report.projects
      .filter((p) => p.period === 'day')
      .reduce((s, p) => s + p.cost, 0);
    expect(dayTotal).toBeCloseTo(
      priced.reduce((s, j) => s + j.cost!, 0),
      9,
    );
    // The price list is cached in the state dir for the next run.
    expect(await readdir(join(settings.stateDir, 'prices'))).toEqual([
      `hetzner_${settings.hetzner[0]!.id}.json`,
    ]);
  });

  it('cost --csv prints one line per job with the shared columns', async () => {
    const run = await runCli(['cost', '--config', config, '--since', '6h', '--csv'], {
      env: childEnv(sim.env),
    });
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split('\r\n');
    expect(lines[0]).toBe(JOB_COST_CSV_COLUMNS.join(','));
    expect(lines.length).toBeGreaterThan(1);
  });

  it('queue --json reports pick-up waits per runner and tag', async () => {
    const run = await runCli(['queue', '--config', config, '--window', '1h', '--json'], {
      env: childEnv(sim.env),
    });
    expect([0, 1], run.stderr).toContain(run.code);
    const health = QueueHealth.parse(JSON.parse(run.stdout));
    const runnerRows = health.rows.filter((r) => r.scope === 'runner');
    expect(runnerRows.length).toBeGreaterThan(0);
    expect(runnerRows.some((r) => r.jobs > 0 && r.p50Sec !== null)).toBe(true);
    expect(run.code).toBe(health.rows.some((r) => r.warning !== null) ? 1 : 0);
  });

  it('alerts: an acknowledgement holds in the next process; a fleet mute quiets warnings, not critical ones', async () => {
    const alerts = async (...extra: string[]) => {
      const run = await runCli(['alerts', '--config', config, '--json', ...extra], {
        env: childEnv(sim.env),
      });
      expect(run.code, run.stderr).toBe(0);
      return AlertsView.parse(JSON.parse(run.stdout));
    };
    const first = await alerts();
    const disk = first.raised.filter((a) => a.key.startsWith('disk:'));
    expect(disk.length).toBeGreaterThan(0);
    expect(first.raised.every((a) => a.quiet === null)).toBe(true);
    const target = disk[0]!;

    const acked = await alerts('--ack', target.key, '--for', '30m');
    const quiet = acked.raised.find((a) => a.key === target.key)!.quiet;
    expect(quiet).toMatchObject({ reason: 'acknowledged' });
    expect(quiet!.until - Date.now()).toBeGreaterThan(25 * 60_000);
    expect(quiet!.until - Date.now()).toBeLessThanOrEqual(30 * 60_000);
    // A new process (a restart) still keeps it quiet.
    expect((await alerts()).raised.find((a) => a.key === target.key)!.quiet?.reason).toBe(
      'acknowledged',
    );

    const fleet = Settings.parse(sim.settings).fleets[0]!.id;
    await alerts('--end', target.key);
    const muted = await alerts('--mute', fleet, '--for', '1h');
    for (const alert of muted.raised.filter((a) => a.fleet === fleet)) {
      expect(alert.quiet?.reason ?? null, alert.key).toBe(
        alert.severity === 'critical' ? null : 'muted',
      );
    }
    expect(muted.state.mutes).toHaveLength(1);
    const ended = await alerts('--end', muted.state.mutes[0]!.id);
    expect(ended.state).toEqual({ acks: [], mutes: [] });
    // Seven CLI processes, each one collection cycle.
  }, 120_000);

  it('alerts --ack of a key that is not raised is refused with one line', async () => {
    const run = await runCli(['alerts', '--config', config, '--ack', 'disk:nope/none'], {
      env: childEnv(sim.env),
    });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      'runner-watch alerts: no raised alert disk:nope/none: list them with runner-watch alerts (see runner-watch alerts --help)',
    );
  });

  it("bad durations are the user's mistake: one line, exit 2", async () => {
    for (const since of ['7', '9d', '12 h']) {
      const run = await runCli(['cost', '--config', config, '--since', since], {
        env: childEnv(sim.env),
      });
      expect(run.code, since).toBe(2);
      expect(run.stderr.trim().split('\n'), since).toHaveLength(1);
      expect(run.stderr).toContain('--since');
    }
  });
});
