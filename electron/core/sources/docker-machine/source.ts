import type { DockerMachineSettings, Settings } from '../../../../shared/settings';
import type { CollectResult, MachineObservation, Source } from '../source';
import type { SecretLookup } from '../ssh/auth';
import { SshPool } from '../ssh/pool';
import { SshError } from '../ssh/ssh-error';
import { emptySshConfig, loadSshConfig, type SshConfigLookup } from '../ssh/ssh-config';
import { MACHINE_LS_FORMAT, normaliseMachineState, parseMachineLs } from './machine-ls';
import { resolveManager } from './manager';

/** Construction options of a docker-machine source. */
export interface DockerMachineSourceOptions {
  settings: Settings;
  dm: DockerMachineSettings;
  secrets: SecretLookup | null;
  /** Shared with the probe source so the manager keeps one connection. */
  pool?: SshPool;
  sshConfig?: SshConfigLookup;
}

/**
 * The inventory source of one docker+machine runner manager: runs `docker-machine ls`
 * on the manager over SSH and reports the machines as the complete inventory of the
 * fleet (a machine no longer listed is gone). A failed or garbled listing fails the
 * collection, so no machine is taken for gone on a bad answer.
 */
export function createDockerMachineSource(options: DockerMachineSourceOptions): Source {
  const { settings, dm } = options;
  const ownsPool = !options.pool;
  const pool = options.pool ?? new SshPool({ secrets: options.secrets });
  return {
    id: `docker-machine:${dm.id}`,
    kind: 'docker-machine',
    label: `docker-machine on ${dm.manager}`,
    phase: 'inventory',
    intervalMs: dm.intervalSec * 1000,
    get timeoutMs() {
      const fleet = settings.fleets.find((f) => f.id === dm.fleet);
      return (
        ((fleet?.ssh.connectTimeoutSec ?? 10) + (fleet?.ssh.commandTimeoutSec ?? 20)) * 1000 + 2_000
      );
    },
    async collect(signal): Promise<CollectResult> {
      const config =
        options.sshConfig ??
        (settings.probe.sshConfigFile
          ? await loadSshConfig(settings.probe.sshConfigFile)
          : emptySshConfig);
      const manager = resolveManager(settings, dm, config);
      const result = await pool.exec(
        manager,
        ['docker-machine', 'ls', '--format', MACHINE_LS_FORMAT],
        { signal },
      );
      if (result.code !== 0) {
        const why = result.stderr.split('\n').find((l) => l.trim() !== '') ?? '';
        throw new SshError(
          'remote_error',
          manager.label,
          `docker-machine ls failed with status ${result.code ?? result.signal}${why ? `: ${why.slice(0, 200)}` : ''}`,
        );
      }
      let entries;
      try {
        entries = parseMachineLs(result.stdout);
      } catch (error) {
        throw new SshError('bad_response', manager.label, (error as Error).message);
      }
      // The fleet's kind, not a guess: a docker-machine list of a dedicated fleet stays dedicated.
      const kind = settings.fleets.find((f) => f.id === dm.fleet)?.kind ?? 'dedicated';
      const machines: MachineObservation[] = entries
        .filter((e) => !dm.namePrefix || e.name.startsWith(dm.namePrefix))
        .map((e) => ({
          fleet: dm.fleet,
          name: e.name,
          identity: {
            kind,
            provider: 'docker-machine',
            providerId: null,
            serverType: null,
            createdAt: null,
            labels: {},
            addresses: e.address ? [e.address] : [],
            providerStatus: e.state || null,
            state: normaliseMachineState(e.state),
          },
        }));
      return { machines, inventoryOf: [dm.fleet] };
    },
    async dispose() {
      if (ownsPool) await pool.dispose();
    },
  };
}
