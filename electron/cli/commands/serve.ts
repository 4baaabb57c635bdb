import { startServeHost } from '../../serve/serve-host';
import type { CliCommand } from '../command';
import { UsageError } from '../command';
import { intOption, requiredString, stringOption } from '../option-values';
import { tuneHeapForLongRun } from '../../core/heap-tuning';
import { openEditableRuntimeFromConfig } from '../open-runtime';
import { defaultRendererDir } from '../project-paths';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { waitForAbort } from '../wait-for-abort';

/** Default port of `serve` (stable, so a bookmarked URL keeps working across restarts). */
export const defaultServePort = 8420;

/** `serve`: the engine on a config, with the renderer and API over HTTP+SSE. */
export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'watch the fleet of a config file and serve the UI to a browser',
  usage: 'serve --config FILE [--port N] [--host H]',
  options: {
    config: { type: 'string', short: 'c' },
    port: { type: 'string', short: 'p' },
    host: { type: 'string' },
    'renderer-dir': { type: 'string' },
  },
  optionHelp: {
    config: 'FILE  the JSON config (see docs/cli.md)',
    port: `N     port to listen on (default ${defaultServePort}; 0 picks a free one)`,
    host: 'H     address to bind (default 127.0.0.1; anything else is reachable from other machines)',
    'renderer-dir': 'DIR  serve this built renderer instead of dist/renderer',
  },
  details:
    'Prints one line "Runner Watch: http://HOST:PORT/?token=TOKEN". The token is random per start\n' +
    'unless RUNNER_WATCH_TOKEN (at least 32 characters) is set. Stops on SIGINT/SIGTERM (exit 0).',
  async run(context, args) {
    const config = requiredString(args, 'config', 'FILE');
    const port = intOption(args, 'port', 0, 65_535, defaultServePort);
    const host = stringOption(args, 'host') ?? '127.0.0.1';
    const rendererDir = resolve(
      context.cwd,
      stringOption(args, 'renderer-dir') ?? defaultRendererDir,
    );
    const token = context.env.RUNNER_WATCH_TOKEN;
    if (token !== undefined && token.length < 32) {
      throw new UsageError('RUNNER_WATCH_TOKEN must be at least 32 characters');
    }
    // A long-running host: trade a little GC time for a heap near its live size.
    tuneHeapForLongRun();
    const { runtime } = await openEditableRuntimeFromConfig(context, {
      configPath: config,
      host: 'serve',
    });
    try {
      if (!existsSync(join(rendererDir, 'index.html'))) {
        context.err(
          `warning: the renderer is not built (${join(rendererDir, 'index.html')} is missing): run npm run build:renderer; the API works meanwhile`,
        );
      }
      const server = await startServeHost({
        runtime,
        port,
        host,
        rendererDir,
        ...(token ? { token } : {}),
        warn: (message) => context.err(`warning: ${message}`),
      });
      // E.g. another process acts on the state directory: this one serves read-only.
      for (const warning of runtime.warnings()) context.err(`warning: ${warning}`);
      try {
        runtime.engine.start();
        context.out(`Runner Watch: ${server.url}?token=${server.token}`);
        await waitForAbort(context.signal);
        context.err('stopping…');
      } finally {
        await server.dispose();
      }
    } finally {
      await runtime.dispose();
    }
    return 0;
  },
};
