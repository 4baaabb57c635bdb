import { spawn } from 'node:child_process';
import { RwError } from '../errors/rw-error';
import { shellJoin, shellQuote as quoteArg } from '../sources/ssh/shell-quote';

/** What a remote command returned. */
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command on a host. `argv` is a vector, never a command line: implementations
 * that go through a shell (SSH always does) quote every element with `shellQuote`, so a
 * machine or volume name with odd characters can never become shell syntax.
 */
export interface RemoteExec {
  exec(
    host: string,
    argv: readonly string[],
    options?: { signal?: AbortSignal; timeoutMs?: number },
  ): Promise<ExecResult>;
}

/**
 * One quoting implementation for every command line that reaches a shell, local or
 * remote: the SSH pool's (`sources/ssh/shell-quote.ts`). Two copies could drift apart,
 * and the test path would then exercise other quoting than production.
 */
export const shellQuoteArg = quoteArg;
/** Quotes an argument vector into one shell command line. */
export const shellQuote = shellJoin;

/**
 * Runs commands on this machine through `/bin/sh -c` with the quoted command line: the
 * same path a command takes over SSH, so tests exercise the real quoting against a real
 * shell. `host` is ignored. Used by tests and the demo.
 */
export class LocalShellExec implements RemoteExec {
  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  exec(
    _host: string,
    argv: readonly string[],
    options: { signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<ExecResult> {
    const line = shellQuote(argv);
    return new Promise((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', line], {
        env: this.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      const timer =
        options.timeoutMs === undefined
          ? null
          : setTimeout(() => {
              child.kill('SIGKILL');
              reject(
                new RwError(
                  'timeout',
                  `${argv[0] ?? 'command'}: no answer within ${options.timeoutMs} ms`,
                ),
              );
            }, options.timeoutMs);
      const onAbort = () => {
        child.kill('SIGKILL');
        reject(new RwError('timeout', `${argv[0] ?? 'command'}: aborted`));
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      child.on('error', (error) => reject(new RwError('remote_error', error.message)));
      child.on('close', (code) => {
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        resolve({ code: code ?? -1, stdout, stderr });
      });
    });
  }
}

/** The part of `SshPool` (sources/ssh) the reaper uses; its exec quotes every argument. */
export interface SshExecutor<Target> {
  exec(
    target: Target,
    argv: readonly string[],
    options?: { signal?: AbortSignal; timeoutMs?: number },
  ): Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/**
 * `RemoteExec` over the SSH pool: `host` is an alias resolved to the pool's target by
 * `targetFor`. A command killed by a signal (no exit status) reads as exit code -1.
 */
export function sshRemoteExec<Target>(
  pool: SshExecutor<Target>,
  targetFor: (host: string) => Target,
): RemoteExec {
  return {
    async exec(host, argv, options = {}) {
      const result = await pool.exec(targetFor(host), argv, options);
      return { code: result.code ?? -1, stdout: result.stdout, stderr: result.stderr };
    },
  };
}
