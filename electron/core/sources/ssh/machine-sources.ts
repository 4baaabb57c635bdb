import type { Settings } from '../../../../shared/settings';
import { createDockerMachineSource } from '../docker-machine/source';
import type { Source } from '../source';
import type { SecretLookup } from './auth';
import { createProbeSource } from './probe-source';

/**
 * Every SSH-based source of the settings, sharing one connection pool: the probe (when
 * any fleet is configured) and one docker-machine source per runner manager, so a manager
 * that is also probed, or used as jump host, keeps a single connection. The probe source
 * owns the pool and closes it on dispose.
 */
export function createMachineSources(settings: Settings, secrets: SecretLookup | null): Source[] {
  if (settings.fleets.length === 0) return [];
  const probe = createProbeSource({ settings, secrets });
  return [
    ...settings.dockerMachine.map((dm) =>
      createDockerMachineSource({ settings, dm, secrets, pool: probe.pool }),
    ),
    probe,
  ];
}
