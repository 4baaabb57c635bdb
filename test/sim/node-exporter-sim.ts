import { createServer, type Server } from 'node:http';
import { readHostState, type ParsedHostState } from './host-state';

/*
 * node_exporter's `/metrics` for each simulated VM, on the VM's own loopback address and a
 * port shared by all (like the SSH simulator), answered from the same host state the
 * `df`/`cat` shims read — so Prometheus scraping it sees the disks the SSH probe sees.
 * Text exposition format 0.0.4, the metric names and labels of node_exporter
 * (REFERENCE.md): filesystems (size, free, avail, files, files_free), load, memory, CPU
 * seconds per mode, disk and network byte counters, node_uname_info. Counters grow with
 * the VM's load between scrapes, on the scenario clock.
 */

interface Counters {
  at: number;
  cpu: { idle: number; user: number; system: number }[];
  diskRead: number;
  diskWritten: number;
  rx: number;
  tx: number;
}

interface Host {
  address: string;
  stateDir: string;
  server: Server;
  counters: Counters | null;
}

const KiB = 1024;

function listen(server: Server, port: number, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      const a = server.address();
      if (a === null || typeof a === 'string') reject(new Error('no TCP address'));
      else resolve(a.port);
    });
  });
}

/** Prometheus label value escaping (backslash, quote, line feed). */
function esc(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(pairs: Record<string, string>): string {
  const parts = Object.entries(pairs).map(([k, v]) => `${k}="${esc(v)}"`);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

/** Renders one host's metrics; `counters` are advanced in place. */
export function renderNodeMetrics(
  state: ParsedHostState,
  counters: Counters,
  nowMs: number,
): string {
  const cpus = state.load?.cpus ?? 2;
  const load1 = state.load?.load1 ?? 0;
  const dt = Math.max(0, (nowMs - counters.at) / 1000);
  counters.at = nowMs;
  while (counters.cpu.length < cpus) counters.cpu.push({ idle: 0, user: 0, system: 0 });
  const busy = Math.min(1, load1 / cpus);
  for (const cpu of counters.cpu) {
    cpu.user += dt * busy * 0.85;
    cpu.system += dt * busy * 0.15;
    cpu.idle += dt * (1 - busy);
  }
  counters.diskRead += dt * busy * 40e6;
  counters.diskWritten += dt * busy * 25e6;
  counters.rx += dt * (2e3 + busy * 30e6);
  counters.tx += dt * (1e3 + busy * 3e6);

  const out: string[] = [];
  const family = (name: string, type: 'gauge' | 'counter', help: string, rows: string[]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...rows);
  };
  const fs = (pick: (m: ParsedHostState['mounts'][number]) => number | null) =>
    state.mounts.flatMap((m) => {
      const v = pick(m);
      return v === null
        ? []
        : [`${labels({ device: m.device, fstype: m.fstype, mountpoint: m.mount })} ${v}`];
    });
  const rows = (name: string, values: string[]) => values.map((v) => `${name}${v}`);
  family(
    'node_filesystem_size_bytes',
    'gauge',
    'Filesystem size in bytes.',
    rows(
      'node_filesystem_size_bytes',
      fs((m) => m.sizeKiB * KiB),
    ),
  );
  // df's used = size − free; free − avail is the part reserved for root.
  family(
    'node_filesystem_free_bytes',
    'gauge',
    'Filesystem free space in bytes.',
    rows(
      'node_filesystem_free_bytes',
      fs((m) => (m.sizeKiB - m.usedKiB) * KiB),
    ),
  );
  family(
    'node_filesystem_avail_bytes',
    'gauge',
    'Filesystem space available to non-root users in bytes.',
    rows(
      'node_filesystem_avail_bytes',
      fs((m) => m.availKiB * KiB),
    ),
  );
  family(
    'node_filesystem_files',
    'gauge',
    'Filesystem total file nodes.',
    rows(
      'node_filesystem_files',
      fs((m) => m.inodes?.total ?? null),
    ),
  );
  family(
    'node_filesystem_files_free',
    'gauge',
    'Filesystem total free file nodes.',
    rows(
      'node_filesystem_files_free',
      fs((m) => m.inodes?.free ?? null),
    ),
  );
  family('node_load1', 'gauge', '1m load average.', [`node_load1 ${load1}`]);
  family('node_load5', 'gauge', '5m load average.', [`node_load5 ${state.load?.load5 ?? 0}`]);
  family('node_load15', 'gauge', '15m load average.', [`node_load15 ${state.load?.load15 ?? 0}`]);
  if (state.load) {
    family('node_memory_MemTotal_bytes', 'gauge', 'Memory information field MemTotal_bytes.', [
      `node_memory_MemTotal_bytes ${state.load.memTotalKiB * KiB}`,
    ]);
    family(
      'node_memory_MemAvailable_bytes',
      'gauge',
      'Memory information field MemAvailable_bytes.',
      [`node_memory_MemAvailable_bytes ${state.load.memAvailableKiB * KiB}`],
    );
  }
  family(
    'node_cpu_seconds_total',
    'counter',
    'Seconds the CPUs spent in each mode.',
    counters.cpu.flatMap((c, i) =>
      (['idle', 'user', 'system'] as const).map(
        (mode) => `node_cpu_seconds_total${labels({ cpu: String(i), mode })} ${c[mode].toFixed(3)}`,
      ),
    ),
  );
  family('node_disk_read_bytes_total', 'counter', 'The total number of bytes read successfully.', [
    `node_disk_read_bytes_total{device="sda"} ${Math.round(counters.diskRead)}`,
  ]);
  family(
    'node_disk_written_bytes_total',
    'counter',
    'The total number of bytes written successfully.',
    [`node_disk_written_bytes_total{device="sda"} ${Math.round(counters.diskWritten)}`],
  );
  family('node_network_receive_bytes_total', 'counter', 'Network device statistic receive_bytes.', [
    `node_network_receive_bytes_total{device="eth0"} ${Math.round(counters.rx)}`,
    'node_network_receive_bytes_total{device="lo"} 0',
  ]);
  family(
    'node_network_transmit_bytes_total',
    'counter',
    'Network device statistic transmit_bytes.',
    [
      `node_network_transmit_bytes_total{device="eth0"} ${Math.round(counters.tx)}`,
      'node_network_transmit_bytes_total{device="lo"} 0',
    ],
  );
  family(
    'node_uname_info',
    'gauge',
    'Labeled system information as provided by the uname system call.',
    [
      `node_uname_info${labels({ domainname: '(none)', machine: 'x86_64', nodename: state.hostname, release: '6.1.0-sim', sysname: 'Linux', version: '#1 SMP' })} 1`,
    ],
  );
  return out.join('\n') + '\n';
}

/** The running exporters, one per VM address, all on `port`. */
export class NodeExporterSim {
  private readonly hosts = new Map<string, Host>();

  private constructor(
    readonly port: number,
    private readonly now: () => number,
  ) {}

  /** Picks a port free on 127.0.0.1 for every VM address to share. */
  static async start(options: { now: () => number }): Promise<NodeExporterSim> {
    const probe = createServer();
    const port = await listen(probe, 0, '127.0.0.1');
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    return new NodeExporterSim(port, options.now);
  }

  /** `address:port` of every host, for Prometheus' target list. */
  targets(): string[] {
    return [...this.hosts.keys()].sort().map((a) => `${a}:${this.port}`);
  }

  async addHost(address: string, stateDir: string): Promise<void> {
    if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address))
      throw new RangeError(`exporter address must be in 127.0.0.0/8, got ${address}`);
    if (this.hosts.has(address)) return;
    const host: Host = { address, stateDir, server: createServer(), counters: null };
    host.server.on('request', (req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end('not found\n');
        return;
      }
      let body: string;
      try {
        const state = readHostState(host.stateDir);
        host.counters ??= { at: this.now(), cpu: [], diskRead: 0, diskWritten: 0, rx: 0, tx: 0 };
        body = renderNodeMetrics(state, host.counters, this.now());
      } catch (error) {
        // What a broken exporter does: the scrape fails and Prometheus sets up = 0.
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(error)}\n`);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(body);
    });
    this.hosts.set(address, host);
    await listen(host.server, this.port, address);
  }

  async removeHost(address: string): Promise<void> {
    const host = this.hosts.get(address);
    if (!host) return;
    this.hosts.delete(address);
    await new Promise<void>((resolve) => {
      host.server.close(() => resolve());
      host.server.closeAllConnections();
    });
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.hosts.keys()].map((a) => this.removeHost(a)));
  }
}
