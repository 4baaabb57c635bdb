import { describe, expect, it } from 'vitest';
import { createProbeSource } from '../../../electron/core/sources/ssh/probe-source';
import { emptySshConfig } from '../../../electron/core/sources/ssh/ssh-config';
import { Settings } from '../../../shared/settings';
import { machine } from '../reaper/fixtures';

// A fleeting fleet whose connector speaks WinRM (Windows instances): the SSH probe must not
// dial its machines (their disks and jobs stay unknown, so none is ever deleted) and says why.
describe('probe of a WinRM docker-autoscaler fleet', () => {
  it('skips its instances with a warning, and still plans the SSH fleet beside it', async () => {
    const settings = Settings.parse({
      fleets: [
        { id: 'win', autoscaler: { instanceGroups: ['win-fleet'], protocol: 'winrm' } },
        // nothing listens on 127.0.0.9:1: an attempt fails fast and shows as a probe error
        { id: 'lin', ssh: { port: 1, connectTimeoutSec: 2, useAgent: false } },
      ],
      probe: { sshConfigFile: null },
    });
    const probe = createProbeSource({ settings, secrets: null, sshConfig: emptySshConfig });
    try {
      const now = Date.now();
      const result = await probe.collect(new AbortController().signal, {
        now: () => now,
        machines: () => [
          machine({ name: 'win-fleet-0a1b2c3d', fleet: 'win', addresses: ['127.0.0.9'] }, now),
          machine({ name: 'lin-fleet-0a1b2c3d', fleet: 'lin', addresses: ['127.0.0.9'] }, now),
        ],
      });
      expect(result.warnings?.join('\n')).toMatch(
        /fleet win: its instances use the WinRM connector \(Windows\); Runner Watch probes over SSH only/,
      );
      const names = result.machines.map((m) => m.name);
      expect(names).not.toContain('win-fleet-0a1b2c3d');
      expect(names).toContain('lin-fleet-0a1b2c3d');
    } finally {
      await probe.dispose?.();
    }
  });
});
