import { z } from 'zod';
import { projectRoot } from './project-paths';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Options the demo passes to the simulator. */
export interface SimulatedFleetOptions {
  vms?: number;
  seed?: number;
  /** Servers of the fleet no runner manager lists (the demo shows one). */
  orphans?: number;
  /** Also simulate the runner manager with `docker-machine ls` (the demo does). */
  dockerMachine?: 'direct' | 'via-manager';
  /** Also serve node_exporter metrics per VM and run a real Prometheus scraping them. */
  prometheus?: boolean;
  /** Also run a small docker-autoscaler fleet (fleeting-plugin-hetzner instances) beside it. */
  autoscaler?: { vms?: number; stuck?: number; managerDiskPct?: number };
}

/** The running simulated fleet, as `test/sim/fleet.ts` returns it. */
export interface SimulatedFleet {
  /** Settings as written (before defaults), pointing at the simulators on loopback. */
  settings: unknown;
  /** The simulators' secrets by variable name; resolved from here, never from process.env. */
  env: Record<string, string>;
  dispose(): Promise<void>;
}

const fleetShape = z.object({
  settings: z.unknown(),
  env: z.record(z.string(), z.string()),
  dispose: z.custom<() => Promise<void>>((value) => typeof value === 'function'),
});
const moduleShape = z.object({
  startSimulatedFleet: z.custom<(options: SimulatedFleetOptions) => Promise<unknown>>(
    (value) => typeof value === 'function',
  ),
});

/**
 * Starts the simulated fleet of `test/sim/fleet.ts`. Loaded at run time (not a static
 * import) because only `demo` needs the simulators, and their shape is checked here.
 */
export async function startSimulatedFleet(options: SimulatedFleetOptions): Promise<SimulatedFleet> {
  const url = pathToFileURL(join(projectRoot, 'test', 'sim', 'fleet.ts')).href;
  let loaded: unknown;
  try {
    loaded = await import(url);
  } catch (error) {
    throw new Error(
      `cannot load the simulated fleet (test/sim/fleet.ts): ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  const module = moduleShape.parse(loaded);
  const fleet = fleetShape.parse(await module.startSimulatedFleet(options));
  return {
    settings: fleet.settings,
    env: fleet.env,
    dispose: () => Promise.resolve(fleet.dispose()),
  };
}
