import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { expandHome } from '../../core/config/expand-home';
import { parseSettings } from '../../core/config/load-settings';
import { startServeHost } from '../../serve/serve-host';
import { ensureRendererBuilt } from '../build-renderer';
import { acknowledgeOneAlert } from '../../core/alerts/demo-ack';
import type { CliCommand } from '../command';
import { findElectronBinary } from '../electron-binary';
import { launchElectronDemo } from '../launch-electron';
import { openInBrowser } from '../open-browser';
import { tuneHeapForLongRun } from '../../core/heap-tuning';
import { openEditableRuntimeFromConfig } from '../open-runtime';
import { flag, intOption, stringOption } from '../option-values';
import { defaultRendererDir } from '../project-paths';
import { startSimulatedFleet } from '../simulated-fleet';
import { waitForAbort } from '../wait-for-abort';

/** The demo's docker-autoscaler fleet (also in the desktop demo, electron/main.ts). */
// Its manager stays calm (30 %) like the docker+machine one: the first view shows one stuck VM per fleet.
const DEMO_FLEETING = { vms: 3, stuck: 1, managerDiskPct: 30 };

/** `demo`: the simulated fleet in the desktop app, or in the browser when Electron is absent. */
export const demoCommand: CliCommand = {
  name: 'demo',
  summary: 'run Runner Watch against a simulated fleet (no accounts needed)',
  usage: 'demo [--port N] [--no-open] [--vms N] [--seed N] [--browser] [--prometheus]',
  options: {
    port: { type: 'string', short: 'p' },
    'no-open': { type: 'boolean' },
    vms: { type: 'string' },
    seed: { type: 'string' },
    browser: { type: 'boolean' },
    prometheus: { type: 'boolean' },
    'renderer-dir': { type: 'string' },
  },
  optionHelp: {
    port: 'N     port of the browser UI (default 0: a free one)',
    'no-open': 'print the URL but do not open a browser',
    vms: 'N     autoscaled VMs in the simulated fleet, 1–16 (default 8)',
    seed: 'N     seed of the simulation, for a repeatable fleet (default 1)',
    browser: 'use the browser UI even when an Electron binary is installed',
    prometheus: 'also read the VMs through a real Prometheus scraping node_exporter (browser UI)',
    'renderer-dir': 'DIR  serve this built renderer instead of dist/renderer',
  },
  details:
    'With an Electron binary (ELECTRON_OVERRIDE_DIST_PATH, or node_modules/electron/dist) the\n' +
    'desktop app starts with RW_DEMO=1; otherwise the serve host starts and prints one line\n' +
    '"Runner Watch: http://127.0.0.1:PORT/?token=TOKEN". Stops on SIGINT/SIGTERM (exit 0).',
  async run(context, args) {
    const port = intOption(args, 'port', 0, 65_535, 0);
    const vms = intOption(args, 'vms', 1, 16, 8);
    const seed = intOption(args, 'seed', 0, 2 ** 31 - 1, 1);
    const givenDir = stringOption(args, 'renderer-dir');
    const rendererDir = givenDir ? resolve(context.cwd, givenDir) : defaultRendererDir;

    // Only the default folder is ours to build; a folder the user named is served as it is.
    const rendererProblem = givenDir
      ? existsSync(join(rendererDir, 'index.html'))
        ? null
        : `${join(rendererDir, 'index.html')} is missing`
      : await ensureRendererBuilt(rendererDir, context.err);
    const withPrometheus = flag(args, 'prometheus');
    const electron =
      flag(args, 'browser') || withPrometheus ? null : findElectronBinary(context.env);
    if (electron) {
      if (rendererProblem) context.err(`warning: ${rendererProblem}`);
      context.err(`starting the desktop app (Electron: ${electron}) with the simulated fleet`);
      return launchElectronDemo({
        binary: electron,
        env: context.env,
        vms,
        seed,
        signal: context.signal,
        log: context.err,
      });
    }
    context.err(
      withPrometheus
        ? '--prometheus: starting the browser UI (serve host) with the simulated fleet'
        : 'no Electron binary here: starting the browser UI (serve host) with the simulated fleet',
    );
    if (rendererProblem) context.err(`warning: ${rendererProblem}; the API works meanwhile`);

    const sim = await startSimulatedFleet({
      vms,
      seed,
      // One server the runner manager lost track of: shown as an orphan, proposed for removal.
      orphans: 1,
      dockerMachine: 'direct',
      // a small docker-autoscaler fleet beside it: three instances, one of them stuck full
      autoscaler: DEMO_FLEETING,
      ...(withPrometheus ? { prometheus: true } : {}),
    });
    if (withPrometheus)
      context.err(
        'Prometheus scrapes every VM: disk figures come from SSH and Prometheus, freshest first',
      );
    try {
      // The simulated settings go to a config file in the simulation's temp folder, so the
      // Settings view edits (and the e2e tests check) the same file path a serve host uses.
      const settings = parseSettings(sim.settings, 'of the simulated fleet');
      const configPath = join(dirname(expandHome(settings.stateDir)), 'demo-config.json');
      writeFileSync(configPath, `${JSON.stringify(sim.settings, null, 2)}\n`, { mode: 0o600 });
      // A long-running host: trade a little GC time for a heap near its live size.
      tuneHeapForLongRun();
      const { runtime } = await openEditableRuntimeFromConfig(context, {
        configPath,
        host: 'serve',
        demo: true,
        env: sim.env,
      });
      try {
        const server = await startServeHost({
          runtime,
          port,
          rendererDir,
          warn: (message) => context.err(`warning: ${message}`),
        });
        try {
          runtime.engine.start();
          const url = `${server.url}?token=${server.token}`;
          context.out(`Runner Watch: ${url}`);
          // Shows "an acknowledged alert that stays quiet until it expires" (README: Demo).
          const acked = await acknowledgeOneAlert(runtime.api).catch((error: unknown) => {
            context.err(
              `warning: the demo could not acknowledge an alert: ${error instanceof Error ? error.message : String(error)}`,
            );
            return null;
          });
          if (acked)
            context.err(
              `demo: acknowledged "${acked.alert.title}" until ${new Date(acked.until).toISOString()}; it stays quiet until then`,
            );
          if (!flag(args, 'no-open') && !(await openInBrowser(url))) {
            context.err('could not open a browser: open the URL above yourself');
          }
          await waitForAbort(context.signal);
          context.err('stopping…');
        } finally {
          await server.dispose();
        }
      } finally {
        await runtime.dispose();
      }
    } finally {
      await sim.dispose();
    }
    return 0;
  },
};
