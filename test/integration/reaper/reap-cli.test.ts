import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditRecord } from '../../../shared/audit';
import { Proposal } from '../../../shared/proposal';
import { HcloudSim } from '../../sim/hcloud-sim';
import { childEnv, runCli } from '../cli/run-cli';

// `runner-watch reap` and `runner-watch audit` as users run them (child process), on a
// Hetzner simulator whose servers cannot be probed (no SSH, no GitLab): the reaper may
// only propose and must refuse, with every reason, and the audit log says so.
let dir: string;
let sim: HcloudSim;
let configPath: string;
let env: Record<string, string>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rw-reap-cli-'));
  sim = await HcloudSim.start({ deleteDelayMs: 0 });
  sim.addServer('default', { name: 'runner-a', publicIp: '127.0.21.1', labels: { role: 'ci' } });
  sim.addServer('default', { name: 'runner-b', publicIp: '127.0.21.2', labels: { role: 'ci' } });
  env = childEnv({ HCLOUD_TOKEN: sim.tokensOf().token });
  configPath = join(dir, 'config.json');
  await writeFile(
    configPath,
    JSON.stringify({
      fleets: [
        {
          id: 'ci',
          ssh: {
            identityFiles: [],
            useAgent: false,
            knownHostsFile: join(dir, 'known_hosts'),
            connectTimeoutSec: 2,
          },
          reaper: { unreachableMinutes: 0.001, minFleetSize: 0 },
        },
      ],
      hetzner: [{ id: 'p', fleet: 'ci', token: { env: 'HCLOUD_TOKEN' }, apiUrl: sim.url }],
      probe: { sshConfigFile: null },
      stateDir: join(dir, 'state'),
    }),
  );
});
afterAll(async () => {
  await sim.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('runner-watch reap', () => {
  it('--dry-run --json prints proposals with evidence and every blocked reason, and acts on nothing', async () => {
    const run = await runCli(
      ['reap', '--config', configPath, '--dry-run', '--json', '--cycles', '2', '--interval', '1'],
      { env },
    );
    expect(run.stderr).toMatch(/cycle 2 of 2/);
    expect(run.code).toBe(0);
    const proposals = Proposal.array().parse(JSON.parse(run.stdout));
    expect(proposals.map((p) => p.machineName).sort()).toEqual(['runner-a', 'runner-b']);
    for (const p of proposals) {
      expect(p.rule).toBe('unreachable');
      expect(p.state).toBe('dry-run');
      // Unknown job containers are the unreachable rule's condition: a person acknowledges
      // them; GitLab unknown and the missing selector block.
      expect(p.acknowledge).toBe('unknown-job-state');
      expect(p.blocked.join('\n')).toMatch(/GitLab job state unknown/);
      expect(p.blocked.join('\n')).toMatch(/no selector identifies autoscaled VMs/);
    }
    expect(sim.requests.filter((r) => r.method === 'DELETE')).toEqual([]);
    expect(run.stdout + run.stderr).not.toContain(env.HCLOUD_TOKEN);
  });

  it('--confirm on a blocked machine is refused with the reasons, exit 1, nothing deleted', async () => {
    const run = await runCli(
      ['reap', '--config', configPath, '--confirm', 'runner-a', '--cycles', '2', '--interval', '1'],
      { env },
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^refused: runner-a$/m);
    expect(run.stderr).toMatch(/re-check failed|unknown/);
    expect(sim.requests.filter((r) => r.method === 'DELETE')).toEqual([]);
  });

  it('--confirm on a machine without a proposal says so, exit 1', async () => {
    const run = await runCli(
      ['reap', '--config', configPath, '--confirm', 'no-such-vm', '--cycles', '1'],
      { env },
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no proposal for no-such-vm/);
  });

  it('needs exactly one of --dry-run and --confirm', async () => {
    const both = await runCli(['reap', '--config', configPath, '--dry-run', '--confirm', 'x'], {
      env,
    });
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/give exactly one of --dry-run and --confirm MACHINE/);
    const none = await runCli(['reap', '--config', configPath], { env });
    expect(none.code).toBe(2);
    const badCycles = await runCli(
      ['reap', '--config', configPath, '--dry-run', '--cycles', 'many'],
      { env },
    );
    expect(badCycles.code).toBe(2);
    expect(badCycles.stderr).toMatch(/--cycles expects a whole number/);
  });
});

describe('runner-watch audit', () => {
  it('--json prints the records of the refused confirmation, newest first', async () => {
    const run = await runCli(['audit', '--config', configPath, '--json'], { env });
    expect(run.code).toBe(0);
    const records = AuditRecord.array().parse(JSON.parse(run.stdout));
    expect(records[0]?.type).toBe('refusal');
    expect(records[0]?.machineName).toBe('runner-a');
    expect(records.some((r) => r.type === 'confirm' && /@/.test(r.who ?? ''))).toBe(true);
    expect(run.stdout).not.toContain(env.HCLOUD_TOKEN);
  });

  it('--csv prints a header and rows; --type filters', async () => {
    const run = await runCli(['audit', '--config', configPath, '--csv', '--type', 'refusal'], {
      env,
    });
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\r\n');
    expect(lines[0]).toMatch(/^time,type,fleet,machine,/);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.slice(1).every((l) => l.split(',')[1] === 'refusal')).toBe(true);
  });

  it('text output, and a bad --type is a usage error', async () => {
    const text = await runCli(['audit', '--config', configPath], { env });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/refusal\s+ci\/runner-a/);
    const bad = await runCli(['audit', '--config', configPath, '--type', 'kill'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--type must be one of proposal, confirm/);
  });
});
