import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { createProbeSource } from '../../../electron/core/sources/ssh/probe-source';
import { emptySshConfig } from '../../../electron/core/sources/ssh/ssh-config';
import { Settings, type SettingsInput } from '../../../shared/settings';
import { machine } from '../reaper/fixtures';

// A fleet with `probe: "none"` (disks and load from Prometheus): the SSH probe must never dial
// its machines. Nothing listens on 127.0.0.9:1, so a machine that is dialled shows up as a
// failed host (and, when it is the only one, as a failed probe) — which these tests forbid.
const PROM = { id: 'prom', url: 'http://127.0.0.1:9/', fleet: 'big' };
const unreachableSsh = { port: 1, connectTimeoutSec: 2, useAgent: false };

async function collect(input: SettingsInput, machines: { name: string; fleet: string }[]) {
  const settings = Settings.parse({ probe: { sshConfigFile: null }, ...input });
  const probe = createProbeSource({ settings, secrets: null, sshConfig: emptySshConfig });
  try {
    const now = Date.now();
    const result = await probe.collect(new AbortController().signal, {
      now: () => now,
      machines: () => machines.map((m) => machine({ ...m, addresses: ['127.0.0.9'] }, now)),
    });
    return { result, connections: probe.pool.stats.connectionsOpened, timeoutMs: probe.timeoutMs };
  } finally {
    await probe.dispose?.();
  }
}

describe('probe of a fleet with probe: "none"', () => {
  it('skips every machine of the fleet, and still probes the SSH fleet beside it', async () => {
    const { result } = await collect(
      {
        fleets: [
          { id: 'big', probe: 'none', ssh: unreachableSsh },
          { id: 'lin', ssh: unreachableSsh },
        ],
        prometheus: [PROM],
      },
      [
        { name: 'big-0a1b2c3d', fleet: 'big' },
        { name: 'big-4e5f6a7b', fleet: 'big' },
        { name: 'lin-0a1b2c3d', fleet: 'lin' },
      ],
    );
    const names = result.machines.map((m) => m.name);
    expect(names).toEqual(['lin-0a1b2c3d']);
    // the SSH fleet's machine really was tried (and failed): the skip is the setting's doing
    expect(result.machines[0]?.jobs).toBeNull();
    expect(result.warnings?.join('\n')).toMatch(/1 of 1 hosts not probed \(lin-0a1b2c3d\)/);
    expect(result.warnings?.join('\n')).not.toMatch(/big-/);
  });

  it('with nothing left to probe, opens no connection, reports no failure and no warning', async () => {
    const { result, connections, timeoutMs } = await collect(
      { fleets: [{ id: 'big', probe: 'none', ssh: unreachableSsh }], prometheus: [PROM] },
      Array.from({ length: 50 }, (_, i) => ({
        name: `big-${String(i).padStart(8, '0')}`,
        fleet: 'big',
      })),
    );
    // a machine tried would fail (nothing listens) and show as a failure and a warning
    expect(result).toEqual({ machines: [], inventoryOf: [] });
    expect(connections).toBe(0);
    // no wave of hosts to wait for: one host's bound, not fifty
    expect(timeoutMs).toBeLessThan(60_000);
  });

  it('reads no ssh config file when there is nothing to probe', async () => {
    // A folder where the ssh config should be makes a probe that reads it fail; one with
    // nothing to probe never opens it.
    const run = async (fleet: string) => {
      const settings = Settings.parse({
        fleets: [
          { id: 'big', probe: 'none' },
          { id: 'lin', ssh: unreachableSsh },
        ],
        prometheus: [PROM],
        probe: { sshConfigFile: tmpdir() },
      });
      const probe = createProbeSource({ settings, secrets: null });
      try {
        const now = Date.now();
        return await probe.collect(new AbortController().signal, {
          now: () => now,
          machines: () => [machine({ name: `${fleet}-0a1b2c3d`, fleet }, now)],
        });
      } finally {
        await probe.dispose?.();
      }
    };
    await expect(run('lin')).rejects.toThrow(/probe\.sshConfigFile/);
    const result = await run('big');
    expect(result.failure).toBeUndefined();
    expect(result.machines).toEqual([]);
  });
});
