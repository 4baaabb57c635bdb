import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/*
 * A real Prometheus (the Debian package) for the simulated fleet: it scrapes the targets
 * of a file_sd file this module rewrites whenever VMs come and go, on a loopback port, with
 * its storage in the fleet's temp root.
 */

/** The Prometheus binary the simulated fleet runs. */
export const PROMETHEUS_BINARY = '/usr/bin/prometheus';

/** The running Prometheus. */
export interface SimPrometheus {
  readonly url: string;
  /** Replaces the scraped targets (`address:port`); Prometheus picks the file up within seconds. */
  setTargets(targets: readonly string[]): void;
  /** Prometheus' output so far. */
  log(): string;
  dispose(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts Prometheus scraping `targets` every `scrapeIntervalSec`; resolves once it is ready. */
export async function startSimPrometheus(options: {
  dir: string;
  targets: readonly string[];
  scrapeIntervalSec: number;
}): Promise<SimPrometheus> {
  if (!existsSync(PROMETHEUS_BINARY))
    throw new Error(`${PROMETHEUS_BINARY} is not installed (apt-get install prometheus)`);
  mkdirSync(options.dir, { recursive: true });
  const targetsFile = join(options.dir, 'targets.json');
  const setTargets = (targets: readonly string[]) => {
    const tmp = `${targetsFile}.tmp`;
    writeFileSync(tmp, JSON.stringify([{ targets, labels: { fleet: 'sim' } }]));
    renameSync(tmp, targetsFile);
  };
  setTargets(options.targets);
  const interval = `${options.scrapeIntervalSec}s`;
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval },
    scrape_configs: [
      {
        job_name: 'node',
        scrape_timeout: `${Math.max(1, options.scrapeIntervalSec - 1)}s`,
        file_sd_configs: [{ files: [targetsFile], refresh_interval: '5s' }],
      },
    ],
  };
  writeFileSync(join(options.dir, 'prometheus.yml'), JSON.stringify(config, null, 2));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const output: string[] = [];
  const child: ChildProcess = spawn(
    PROMETHEUS_BINARY,
    [
      `--config.file=${join(options.dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(options.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString('utf8'));
    if (output.length > 200) output.splice(0, output.length - 200);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const dispose = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`prometheus exited (${child.exitCode}): ${output.join('').slice(-1000)}`);
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await dispose();
      throw new Error(`prometheus not ready within 30 s: ${output.join('').slice(-1000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, setTargets, log: () => output.join(''), dispose };
}
