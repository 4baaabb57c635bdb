import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/*
 * Real Prometheus and node_exporter for integration tests (Debian packages), on loopback
 * ports picked at random, with temp storage and a 1 s scrape interval. The one exporter is
 * listed once per simulated machine, each time with its own static labels (`machine` and
 * `instance`), so Prometheus presents it as several machines; every copy reports this
 * host's real filesystems, load and network.
 */

const PROMETHEUS = '/usr/bin/prometheus';
const NODE_EXPORTER = '/usr/bin/prometheus-node-exporter';

/** Why the real-Prometheus tests cannot run here, or null when they can. */
export function prometheusSkipReason(): string | null {
  if (!existsSync(PROMETHEUS)) return `${PROMETHEUS} not installed (apt-get install prometheus)`;
  if (!existsSync(NODE_EXPORTER))
    return `${NODE_EXPORTER} not installed (apt-get install prometheus-node-exporter)`;
  return null;
}

/** A simulated machine as Prometheus shows it: its target's static labels. */
export interface ScrapedMachine {
  /** Value of the `machine` label. */
  name: string;
  /** Value of the `instance` label, e.g. `127.0.5.1:9100`. */
  instance: string;
}

/** The running servers. */
export interface PrometheusHarness {
  /** Base URL of Prometheus, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly port: number;
  readonly exporterUrl: string;
  readonly machines: readonly ScrapedMachine[];
  /** Resolves when every machine's target has been scraped at least `scrapes` times. */
  waitForScrapes(scrapes?: number, timeoutMs?: number): Promise<void>;
  /** Stops Prometheus (the exporter keeps running); `start()` brings it back on the same port and data. */
  stopPrometheus(): Promise<void>;
  startPrometheus(): Promise<void>;
  /** prometheus' and node_exporter's output so far, for failing tests. */
  logs(): string;
  dispose(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (closed again before it is returned). */
export async function freePort(): Promise<number> {
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

function spawnLogged(bin: string, args: string[], log: string[]): ChildProcess {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (chunk: Buffer) => {
    log.push(chunk.toString('utf8'));
    if (log.length > 400) log.splice(0, log.length - 400);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return child;
}

async function stopChild(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  logs: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline)
      throw new Error(`${what} not within ${timeoutMs} ms; logs:\n${logs().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Starts node_exporter and Prometheus scraping it once per machine every second, and
 * waits until Prometheus is ready. Only the collectors the product reads are enabled.
 */
export async function startPrometheusHarness(
  machines: readonly ScrapedMachine[],
): Promise<PrometheusHarness> {
  const skip = prometheusSkipReason();
  if (skip) throw new Error(skip);
  const dir = mkdtempSync(join(tmpdir(), 'rw-prometheus-'));
  const log: string[] = [];
  const logs = () => log.join('');
  const exporterPort = await freePort();
  const exporter = spawnLogged(
    NODE_EXPORTER,
    [
      `--web.listen-address=127.0.0.1:${exporterPort}`,
      '--collector.disable-defaults',
      '--collector.filesystem',
      '--collector.loadavg',
      '--collector.meminfo',
      '--collector.cpu',
      '--collector.netdev',
      '--collector.diskstats',
      '--collector.uname',
    ],
    log,
  );
  const exporterUrl = `http://127.0.0.1:${exporterPort}`;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = {
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    scrape_configs: [
      {
        job_name: 'node',
        scrape_interval: '1s',
        scrape_timeout: '900ms',
        static_configs: machines.map((m) => ({
          targets: [`127.0.0.1:${exporterPort}`],
          labels: { machine: m.name, instance: m.instance },
        })),
      },
    ],
  };
  // Prometheus reads YAML, and JSON is YAML.
  writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config, null, 2));
  let prometheus: ChildProcess | null = null;
  const start = async () => {
    prometheus = spawnLogged(
      PROMETHEUS,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      log,
    );
    await waitUntil(
      'Prometheus ready',
      async () => (await fetch(`${url}/-/ready`)).ok,
      30_000,
      logs,
    );
  };
  try {
    await waitUntil(
      'node_exporter up',
      async () => (await fetch(`${exporterUrl}/metrics`)).ok,
      15_000,
      logs,
    );
    await start();
  } catch (error) {
    await stopChild(prometheus);
    await stopChild(exporter);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    port,
    exporterUrl,
    machines,
    logs,
    async waitForScrapes(scrapes = 2, timeoutMs = 30_000) {
      await waitUntil(
        `${scrapes} scrapes of every target`,
        async () => {
          const query = encodeURIComponent(`count_over_time(up{job="node"}[1h]) >= ${scrapes}`);
          const body = (await (await fetch(`${url}/api/v1/query?query=${query}`)).json()) as {
            data?: { result?: unknown[] };
          };
          return (body.data?.result?.length ?? 0) >= machines.length;
        },
        timeoutMs,
        logs,
      );
    },
    stopPrometheus: async () => {
      await stopChild(prometheus);
      prometheus = null;
    },
    startPrometheus: start,
    async dispose() {
      await stopChild(prometheus);
      await stopChild(exporter);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
