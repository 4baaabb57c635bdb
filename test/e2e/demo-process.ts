import { spawn, type ChildProcess } from 'node:child_process';
import { redactToken } from './pages/fleet-page';

/** A running `runner-watch demo`, and the URL it printed. */
export interface DemoProcess {
  /** `http://127.0.0.1:PORT/?token=…` as printed. */
  url: string;
  /** The same origin without the token. */
  origin: string;
  /** Everything it wrote to stderr so far, for failure messages. */
  stderr(): string;
  stop(): Promise<void>;
}

const URL_LINE = /^Runner Watch: (http:\/\/127\.\d{1,3}\.\d{1,3}\.\d{1,3}:\d+\/\?token=\S+)$/m;

/**
 * Starts `node bin/runner-watch.mjs demo --no-open --browser --port 0` and resolves once it
 * printed its URL line. `--browser` keeps the serve host even where an Electron binary exists.
 */
export async function startDemo(
  cwd: string,
  timeoutMs = 60_000,
  /** More demo options, e.g. `--prometheus`. */
  extraArgs: readonly string[] = [],
): Promise<DemoProcess> {
  const child = spawn(
    process.execPath,
    ['bin/runner-watch.mjs', 'demo', '--no-open', '--browser', '--port', '0', ...extraArgs],
    {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    },
  );
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      reject(
        new Error(redactToken(`runner-watch demo ${why}\nstdout:\n${stdout}\nstderr:\n${stderr}`)),
      );
    };
    const timer = setTimeout(() => {
      fail(`printed no URL line within ${timeoutMs} ms`);
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = URL_LINE.exec(stdout);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code, signal) =>
      fail(`exited (${signal ?? code}) before printing its URL`),
    );
    child.once('error', (error) => fail(`could not start: ${error.message}`));
  });
  return {
    url,
    origin: new URL(url).origin,
    stderr: () => stderr,
    stop: () => stopChild(child),
  };
}

/** SIGTERM (the CLI shuts down cleanly on it), then SIGKILL if it is still there after 10 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
