import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { electronMainBundle, projectRoot } from './project-paths';
import { UsageError } from './command';

/** Options of the Electron demo launch. */
export interface LaunchElectronOptions {
  binary: string;
  env: Readonly<Record<string, string | undefined>>;
  vms: number;
  seed: number;
  signal: AbortSignal;
  log: (line: string) => void;
  /** The app's main bundle; `dist/electron/main.js` unless a test says otherwise. */
  mainBundle?: string;
}

/**
 * Runs the desktop app in demo mode (`RW_DEMO=1`: it starts the simulated fleet itself),
 * building its main bundle first when missing. Resolves to the app's exit code; SIGINT or
 * SIGTERM to us is passed on to it.
 */
export async function launchElectronDemo(options: LaunchElectronOptions): Promise<number> {
  const mainBundle = options.mainBundle ?? electronMainBundle;
  if (!existsSync(mainBundle)) {
    options.log('building the Electron main bundle (npm run build:electron)…');
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const built = spawnSync(npm, ['run', 'build:electron', '--silent'], {
      cwd: projectRoot,
      stdio: 'inherit',
    });
    if (built.status !== 0 || !existsSync(mainBundle)) {
      throw new UsageError(
        'building the Electron app failed: run npm run build:electron to see why',
      );
    }
  }
  const child = spawn(options.binary, [mainBundle], {
    cwd: projectRoot,
    stdio: 'inherit',
    env: {
      ...options.env,
      RW_DEMO: '1',
      RW_DEMO_VMS: String(options.vms),
      RW_DEMO_SEED: String(options.seed),
    },
  });
  const stop = () => child.kill('SIGTERM');
  options.signal.addEventListener('abort', stop, { once: true });
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once('error', (error) =>
        reject(new UsageError(`cannot start Electron (${options.binary}): ${error.message}`)),
      );
      child.once('exit', (code) => resolve(options.signal.aborted ? 0 : (code ?? 1)));
    });
  } finally {
    options.signal.removeEventListener('abort', stop);
  }
}
