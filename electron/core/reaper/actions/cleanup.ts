import type { Machine } from '../../../../shared/machine';
import { RwError } from '../../errors/rw-error';
import type { RemoteExec } from '../remote-exec';
import type { InFlightAction } from '../state-store';
import { step, type ActionContext, type ActionRunner, type RecoveryOutcome } from './action';

/** Only GitLab Runner's own volumes are candidates; anything else on the host is not ours. */
export const RUNNER_VOLUME = /^runner-[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Tuning of the cleanup. */
export interface CleanupOptions {
  exec: RemoteExec;
  /** SSH alias of a dedicated host; the machine's name by default. */
  hostFor?: (machine: Pick<Machine, 'name' | 'fleet'>) => string;
  /** Fleet's prune bound: images unused for this many hours go. */
  pruneHoursFor: (fleet: string) => number;
}

/**
 * Cleanup of a dedicated runner host: removes `runner-*` volumes that no container
 * (running or stopped) uses — checked per volume with `docker ps -a --filter volume=NAME`
 * right before its removal, and a failed check keeps the volume — then prunes images
 * unused for longer than the fleet's bound. Never deletes the host. Every name reaches
 * the shell quoted.
 */
export class CleanupAction implements ActionRunner {
  constructor(private readonly options: CleanupOptions) {}

  async run(context: ActionContext): Promise<string> {
    const { machine } = context;
    const host = this.options.hostFor?.(machine) ?? machine.name;
    const exec = (argv: string[]) =>
      step(argv.slice(0, 3).join(' '), context.stepTimeoutMs, context.signal, (signal) =>
        this.options.exec.exec(host, argv, { signal, timeoutMs: context.stepTimeoutMs }),
      );
    await context.progress({ step: 'listing volumes' });
    const listed = await exec(['docker', 'volume', 'ls', '-q', '--filter', 'name=runner-']);
    if (listed.code !== 0) {
      throw new RwError(
        'remote_error',
        `docker volume ls on ${host} exited ${listed.code}: ${listed.stderr.trim()}`,
      );
    }
    const removed: string[] = [];
    const inUse: string[] = [];
    const failed: string[] = [];
    // The name filter matches substrings; keep only names that really are runner volumes.
    const volumes = listed.stdout
      .split('\n')
      .map((line) => line.trim())
      .filter((name) => RUNNER_VOLUME.test(name));
    for (const volume of volumes) {
      await context.progress({ step: `checking volume ${volume}` });
      const users = await exec(['docker', 'ps', '-a', '-q', '--filter', `volume=${volume}`]);
      if (users.code !== 0) {
        failed.push(`${volume} (check failed)`);
        continue;
      }
      if (users.stdout.trim() !== '') {
        inUse.push(volume);
        continue;
      }
      const rm = await exec(['docker', 'volume', 'rm', volume]);
      if (rm.code === 0) removed.push(volume);
      else failed.push(`${volume} (${rm.stderr.trim().slice(0, 200)})`);
    }
    const hours = this.options.pruneHoursFor(machine.fleet);
    await context.progress({ step: 'pruning images' });
    const prune = await exec([
      'docker',
      'image',
      'prune',
      '-a',
      '-f',
      '--filter',
      `until=${hours}h`,
    ]);
    const reclaimed = /Total reclaimed space:\s*(.+)/.exec(prune.stdout)?.[1]?.trim();
    const parts = [
      `removed ${removed.length} unused runner volume${removed.length === 1 ? '' : 's'}${removed.length ? ` (${removed.join(', ')})` : ''}`,
      `kept ${inUse.length} in use`,
    ];
    if (failed.length > 0) parts.push(`could not remove ${failed.join(', ')}`);
    parts.push(
      prune.code === 0
        ? `pruned images older than ${hours} h${reclaimed ? `, reclaimed ${reclaimed}` : ''}`
        : `image prune exited ${prune.code}: ${prune.stderr.trim().slice(0, 200)}`,
    );
    if (prune.code !== 0 && removed.length === 0)
      throw new RwError('remote_error', parts.join('; '));
    return parts.join('; ');
  }

  async recover(inFlight: InFlightAction): Promise<RecoveryOutcome> {
    return {
      completed: false,
      detail: `cleanup of ${inFlight.machineName} was interrupted; it is not repeated on its own — the next proposal re-checks the disk`,
    };
  }
}
