import type { MachineState } from '../../../../shared/machine';

/** One machine as `docker-machine ls --format '{{.Name}}\t{{.State}}\t{{.URL}}'` prints it. */
export interface DockerMachineEntry {
  name: string;
  /** docker-machine's word: Running, Stopped, Starting, Stopping, Error, Timeout, Saved, Paused. */
  state: string;
  /** `tcp://IP:2376`, or empty when the machine is not running. */
  url: string;
  /** The host part of the URL, or null without one. */
  address: string | null;
}

/** The format passed to `docker-machine ls` (docker-machine turns `\t` into a tab). */
export const MACHINE_LS_FORMAT = '{{.Name}}\\t{{.State}}\\t{{.URL}}';

const NAME = /^[A-Za-z0-9][A-Za-z0-9.-]*$/;
const STATES = new Set([
  'Running',
  'Stopped',
  'Starting',
  'Stopping',
  'Error',
  'Timeout',
  'Saved',
  'Paused',
  '',
]);

/**
 * Parses the `docker-machine ls` lines. Strict: the list is the fleet's whole inventory
 * (a machine missing from it is taken as gone), so any line that is not name, state and
 * URL makes the whole answer unreadable rather than shorter.
 */
export function parseMachineLs(stdout: string): DockerMachineEntry[] {
  const entries: DockerMachineEntry[] = [];
  const seen = new Set<string>();
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    const fields = line.split('\t');
    if (fields.length !== 3)
      throw new Error(
        `docker-machine ls: expected name, state and URL, got ${JSON.stringify(line.slice(0, 120))}`,
      );
    const [name = '', state = '', url = ''] = fields.map((f) => f.trim());
    if (!NAME.test(name))
      throw new Error(
        `docker-machine ls: not a machine name: ${JSON.stringify(name.slice(0, 80))}`,
      );
    if (!STATES.has(state))
      throw new Error(
        `docker-machine ls: machine ${name} has unknown state ${JSON.stringify(state)}`,
      );
    if (seen.has(name)) throw new Error(`docker-machine ls: machine ${name} listed twice`);
    seen.add(name);
    entries.push({ name, state, url, address: urlHost(url, name) });
  }
  return entries;
}

function urlHost(url: string, name: string): string | null {
  if (url === '') return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(
      `docker-machine ls: machine ${name} has a bad URL ${JSON.stringify(url.slice(0, 80))}`,
    );
  }
  if (parsed.protocol !== 'tcp:' || parsed.hostname === '') {
    throw new Error(
      `docker-machine ls: machine ${name} has a bad URL ${JSON.stringify(url.slice(0, 80))}`,
    );
  }
  return parsed.hostname.replace(/^\[|\]$/g, '');
}

/** docker-machine's state word → the contract's normalised state. */
export function normaliseMachineState(state: string): MachineState {
  switch (state) {
    case 'Running':
      return 'running';
    case 'Starting':
      return 'starting';
    case 'Stopping':
      return 'stopping';
    case 'Stopped':
    case 'Saved':
    case 'Paused':
      return 'off';
    case 'Error':
      return 'error';
    default:
      return 'unknown';
  }
}
