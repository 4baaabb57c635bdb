import type { Machine } from '../../../../shared/machine';
import type { Settings } from '../../../../shared/settings';
import { ConfigError } from '../../errors/config-error';
import { resolveManager } from '../docker-machine/manager';
import type { SshConfigLookup } from './ssh-config';
import { resolveTarget, type SshTarget } from './target';

/**
 * Where each machine and host of the settings is reached over SSH: the one place the
 * probe, the docker-machine source and the reaper (cleanups on dedicated hosts,
 * `docker-machine rm` on a manager) agree on addresses, credentials and jump hosts.
 */
export interface TargetDirectory {
  /** A dedicated host (`sshHosts` alias) or a docker-machine manager alias. */
  host(alias: string): SshTarget;
  /**
   * A machine of the fleet model: a dedicated host by its alias, any other by its first
   * address with its fleet's access (through the manager for `viaManager` docker-machine
   * fleets), its host key filed under the machine name. Null when it has no address or its
   * fleet is not configured.
   */
  machine(machine: Pick<Machine, 'key' | 'name' | 'fleet' | 'addresses'>): SshTarget | null;
}

/** Builds the directory for one ssh config; cheap, so build it once per cycle. */
export function createTargetDirectory(
  settings: Settings,
  config: SshConfigLookup,
): TargetDirectory {
  const fleets = new Map(settings.fleets.map((f) => [f.id, f]));
  const managerJump = new Map<string, SshTarget>();
  const jumpFor = (fleet: string): SshTarget | undefined => {
    const dm = settings.dockerMachine.find((d) => d.fleet === fleet && d.viaManager);
    if (!dm) return undefined;
    let target = managerJump.get(dm.id);
    if (!target) {
      target = resolveManager(settings, dm, config);
      managerJump.set(dm.id, target);
    }
    return target;
  };
  const host = (alias: string): SshTarget => {
    const entry = settings.sshHosts.find((h) => h.alias === alias);
    if (entry) {
      const fleet = fleets.get(entry.fleet);
      if (!fleet)
        throw new ConfigError(`SSH host ${alias}: fleet ${entry.fleet} is not configured`);
      const access =
        entry.trustOnFirstUse === undefined
          ? fleet.ssh
          : { ...fleet.ssh, trustOnFirstUse: entry.trustOnFirstUse };
      return resolveTarget(alias, access, config, {
        host: entry.host,
        port: entry.port,
        user: entry.user,
      });
    }
    const dm = settings.dockerMachine.find((d) => d.manager === alias);
    if (dm) return resolveManager(settings, dm, config);
    throw new ConfigError(`no SSH host or docker-machine manager named ${alias} in the settings`);
  };
  return {
    host,
    machine(machine) {
      if (settings.sshHosts.some((h) => h.alias === machine.name && h.fleet === machine.fleet))
        return host(machine.name);
      const address = machine.addresses[0];
      const fleet = fleets.get(machine.fleet);
      if (!address || !fleet) return null;
      const jump = jumpFor(fleet.id);
      // Host keys of VMs are filed under the machine name: their IPs are recycled.
      return resolveTarget(address, fleet.ssh, config, {
        hostKeyAlias: machine.name,
        ...(jump ? { jump } : {}),
      });
    },
  };
}
