import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The checkout's `bin/runner-watch.mjs`, run as users run it. */
export const binPath = fileURLToPath(new URL('../../../bin/runner-watch.mjs', import.meta.url));

/** Result of a finished CLI run. */
export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Environment for the child: ours minus anything that would change its behaviour. */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('VITEST') && key !== 'NODE_OPTIONS')
      env[key] = value;
  }
  delete env.ELECTRON_OVERRIDE_DIST_PATH;
  delete env.RUNNER_WATCH_TOKEN;
  return { ...env, ...extra };
}

/** Runs the CLI to completion. */
export function runCli(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binPath, ...args], {
      env: options.env ?? childEnv(),
      cwd: options.cwd ?? process.cwd(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** A long-running CLI child (serve, demo) with its URL line, stopped by `stop()`. */
export interface RunningCli {
  child: ChildProcess;
  url: URL;
  token: string;
  stderr(): string;
  /** Sends the signal and resolves with the exit code. */
  stop(
    signal?: NodeJS.Signals,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>;
}

const urlLine = /^Runner Watch: (http:\/\/\S+\/\?token=([A-Za-z0-9_-]+))$/m;

/** Starts a long-running command and waits for its `Runner Watch: URL` line. */
export function startCli(
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<RunningCli> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binPath, ...args], {
      env: options.env ?? childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let settled = false;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
      child.on('close', (code, signal) => done({ code, signal })),
    );
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      child.kill('SIGKILL');
      reject(new Error(`no URL line within ${options.timeoutMs ?? 20_000} ms; stderr: ${stderr}`));
    }, options.timeoutMs ?? 20_000);
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const match = urlLine.exec(stdout);
      if (!match || settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({
        child,
        url: new URL(match[1]!),
        token: match[2]!,
        stderr: () => stderr,
        stop: async (signal = 'SIGTERM') => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          const result = await exited;
          return { ...result, stdout };
        },
      });
    });
    void exited.then(({ code }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before printing the URL; stderr: ${stderr}`));
    });
  });
}
