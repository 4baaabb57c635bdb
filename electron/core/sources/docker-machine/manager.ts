import type { DockerMachineSettings, Settings } from '../../../../shared/settings';
import { ConfigError } from '../../errors/config-error';
import type { SshConfigLookup } from '../ssh/ssh-config';
import { resolveTarget, type SshTarget } from '../ssh/target';

/**
 * The SSH target of a docker-machine runner manager: an `sshHosts` entry of that alias
 * (its address, port, user and its fleet's credentials), else an ssh config alias reached
 * with the credentials of the docker-machine fleet.
 */
export function resolveManager(
  settings: Settings,
  dm: DockerMachineSettings,
  config: SshConfigLookup,
): SshTarget {
  const host = settings.sshHosts.find((h) => h.alias === dm.manager);
  const fleet = settings.fleets.find((f) => f.id === (host?.fleet ?? dm.fleet));
  if (!fleet)
    throw new ConfigError(
      `docker-machine ${dm.id}: fleet ${host?.fleet ?? dm.fleet} is not configured`,
    );
  // The manager is reached directly, whatever jump host its fleet's VMs need.
  const access = { ...fleet.ssh, jumpHost: undefined };
  return resolveTarget(
    dm.manager,
    access,
    config,
    host ? { host: host.host, port: host.port, user: host.user } : {},
  );
}
