import type { Machine } from '../../../../shared/machine';
import { RwError } from '../../errors/rw-error';
import type { RemoteExec } from '../remote-exec';
import type { InFlightAction } from '../state-store';
import { step, type ActionContext, type ActionRunner, type RecoveryOutcome } from './action';

/** What `docker-machine` prints when the machine is not (any more) there. */
const GONE = /does not exist|not found|no such/i;

/** Refuses names that a program could read as an option, whatever the quoting. */
export function assertOperand(name: string, what: string): void {
  if (name === '' || name.startsWith('-')) {
    throw new RwError(
      'bad_input',
      `refusing ${what} ${JSON.stringify(name)}: empty or starts with "-"`,
    );
  }
}

function tail(text: string): string {
  const trimmed = text.trim();
  return trimmed.length > 500 ? `…${trimmed.slice(-500)}` : trimmed;
}

/**
 * `docker-machine rm -y NAME` on the runner manager that created the machine. Idempotent:
 * "does not exist" counts as done. The name reaches the manager's shell quoted.
 */
export class MachineRmAction implements ActionRunner {
  constructor(
    private readonly exec: RemoteExec,
    /** The manager host (SSH alias) that owns a docker-machine VM; null when none is known. */
    private readonly managerFor: (machine: {
      name: string;
      fleet: string;
      labels: Record<string, string>;
    }) => string | null,
  ) {}

  private manager(machine: Pick<Machine, 'name' | 'fleet' | 'labels'>): string {
    const host = this.managerFor(machine);
    if (!host) throw new RwError('bad_input', `no runner manager known for ${machine.name}`);
    return host;
  }

  async run(context: ActionContext): Promise<string> {
    const { machine } = context;
    assertOperand(machine.name, 'machine name');
    const host = this.manager(machine);
    await context.progress({ step: `docker-machine rm on ${host}` });
    const result = await step(
      `docker-machine rm ${machine.name}`,
      context.stepTimeoutMs,
      context.signal,
      (signal) =>
        this.exec.exec(host, ['docker-machine', 'rm', '-y', machine.name], {
          signal,
          timeoutMs: context.stepTimeoutMs,
        }),
    );
    if (result.code === 0) return `machine ${machine.name} removed by ${host}`;
    if (GONE.test(result.stderr) || GONE.test(result.stdout))
      return `machine ${machine.name} already gone`;
    throw new RwError(
      'remote_error',
      `docker-machine rm ${machine.name} on ${host} exited ${result.code}: ${tail(result.stderr)}`,
    );
  }

  async recover(
    inFlight: InFlightAction,
    signal: AbortSignal,
    stepTimeoutMs: number,
  ): Promise<RecoveryOutcome> {
    assertOperand(inFlight.machineName, 'machine name');
    const host = this.manager({ name: inFlight.machineName, fleet: inFlight.fleet, labels: {} });
    // `ls -q` lists names only; an exact match in it is the only proof the machine exists.
    const result = await step(`docker-machine ls on ${host}`, stepTimeoutMs, signal, (s) =>
      this.exec.exec(host, ['docker-machine', 'ls', '-q'], { signal: s, timeoutMs: stepTimeoutMs }),
    );
    if (result.code !== 0) {
      throw new RwError(
        'remote_error',
        `docker-machine ls on ${host} exited ${result.code}: ${tail(result.stderr)}`,
      );
    }
    const names = result.stdout.split('\n').map((line) => line.trim());
    if (!names.includes(inFlight.machineName)) {
      return { completed: true, detail: `machine ${inFlight.machineName} is gone` };
    }
    return {
      completed: false,
      detail: `machine ${inFlight.machineName} still exists on ${host}; removal not repeated — confirm again`,
    };
  }
}
