import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  HostStateError,
  RUNNER_LABEL as L,
  SHIMS_DIR,
  readCalls,
  readHostState,
  writeHostState,
  type HostState,
} from '../../sim/host-state';

const NOW = 1_795_447_734;
const hex = (c: string) => c.repeat(64);
const CACHE42 = 'runner-abcdefgh-project-42-concurrent-0-cache-3c3f060a0374fc8bc39395164f415a70';
const CACHE7 = 'runner-abcdefgh-project-7-concurrent-1-cache-c33bcaa1fd2c77edfc3893b41966cea8';

const baseState = (): HostState => ({
  hostname: 'runner-abcdefgh-auto-scale-1795440000-0a1b2c3d',
  now: NOW,
  mounts: [
    {
      device: '/dev/sda1',
      fstype: 'ext4',
      mount: '/',
      sizeKiB: 39_937_312,
      usedKiB: 30_000_000,
      availKiB: 7_937_312,
      inodes: { total: 2_555_904, used: 345_678, free: 2_210_226 },
    },
    {
      device: '/dev/sdb',
      fstype: 'xfs',
      mount: '/data',
      sizeKiB: 100_000,
      usedKiB: 85_000,
      availKiB: 15_000,
      inodes: null,
    },
  ],
  paths: ['/var/lib/docker', '/var/lib/docker/volumes'],
  containers: [
    {
      id: hex('a'),
      name: 'runner-abcdefgh-project-42-concurrent-0-0123abcd-build-2',
      image: 'ruby:3.2',
      command: 'sh -c "echo a && echo b"',
      created: NOW - 300,
      state: 'running',
      labels: {
        [L.jobId]: '1001',
        [L.jobUrl]: 'http://127.0.0.9/group/app/-/jobs/1001',
        [L.projectId]: '42',
        [L.pipelineId]: '501',
        [L.managed]: 'true',
        [L.type]: 'build',
      },
      volumes: [CACHE42],
    },
    {
      id: hex('b'),
      name: 'old-helper',
      image: 'alpine:3',
      command: 'true',
      created: NOW - 90_000,
      state: 'exited',
      exitCode: 0,
    },
  ],
  volumes: [
    { name: CACHE42, sizeBytes: 5_000_000_000 },
    { name: CACHE7, sizeBytes: 2_048_000_000 },
  ],
  images: [
    {
      id: 'sha256:' + hex('1'),
      repository: 'ruby',
      tag: '3.2',
      created: NOW - 200_000,
      sizeBytes: 900_000_000,
    },
    {
      id: 'sha256:' + hex('2'),
      repository: 'node',
      tag: '20',
      created: NOW - 200_000,
      sizeBytes: 1_100_000_000,
    },
    {
      id: 'sha256:' + hex('3'),
      repository: 'golang',
      tag: '1.22',
      created: NOW - 3_600,
      sizeBytes: 800_000_000,
    },
  ],
  machines: [
    {
      name: 'runner-abcdefgh-auto-scale-1795440000-0a1b2c3d',
      state: 'Running',
      url: 'tcp://127.0.1.1:2376',
    },
    {
      name: 'runner-abcdefgh-auto-scale-1795440060-9f8e7d6c',
      state: 'Running',
      url: 'tcp://127.0.1.2:2376',
    },
  ],
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rw-shim-'));
  writeHostState(dir, baseState());
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a shim the way a login shell would find it: first on PATH. */
function run(
  tool: string,
  ...args: string[]
): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(tool, args, {
    env: { PATH: `${SHIMS_DIR}:/usr/bin:/bin`, RW_SIM_STATE: dir },
    encoding: 'utf8',
    input: '',
  });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}
const jsonLines = (s: string): Record<string, unknown>[] =>
  s
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('df shim', () => {
  it('prints POSIX df -Pk with a header and only the asked mounts', () => {
    const r = run('df', '-Pk', '/');
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]!.split(/\s+/)).toEqual([
      'Filesystem',
      '1024-blocks',
      'Used',
      'Available',
      'Capacity',
      'Mounted',
      'on',
    ]);
    // Capacity = used / (used + avail), rounded up: 30000000 / 37937312 = 79.08 → 80 %
    expect(lines[1]!.split(/\s+/)).toEqual([
      '/dev/sda1',
      '39937312',
      '30000000',
      '7937312',
      '80%',
      '/',
    ]);
  });

  it('lists every mount without arguments and answers for the mount holding a path', () => {
    const all = run('df', '-Pk').stdout.trimEnd().split('\n');
    expect(all.map((l) => l.split(/\s+/).at(-1))).toEqual(['on', '/', '/data']);
    const sub = run('df', '-Pk', '/var/lib/docker/').stdout.trimEnd().split('\n');
    expect(sub[1]!.split(/\s+/).at(-1)).toBe('/');
  });

  it('prints inode figures with -Pi, "-" for a filesystem without inodes', () => {
    const lines = run('df', '-Pi', '/', '/data').stdout.trimEnd().split('\n');
    expect(lines[0]!.split(/\s+/)).toEqual([
      'Filesystem',
      'Inodes',
      'IUsed',
      'IFree',
      'IUse%',
      'Mounted',
      'on',
    ]);
    expect(lines[1]!.split(/\s+/)).toEqual([
      '/dev/sda1',
      '2555904',
      '345678',
      '2210226',
      '14%',
      '/',
    ]);
    expect(lines[2]!.split(/\s+/)).toEqual(['/dev/sdb', '0', '0', '0', '-', '/data']);
  });

  it('fails with exit 1 for an unknown mount, still printing the known ones', () => {
    const r = run('df', '-Pk', '/nope', '/data');
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('df: /nope: No such file or directory\n');
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(2);
    const only = run('df', '-Pk', '/nope');
    expect(only.status).toBe(1);
    expect(only.stdout).toBe('');
  });

  it('rejects an unknown option like coreutils', () => {
    const r = run('df', '-Pz');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("df: invalid option -- 'z'");
  });

  it('passes a garbage or truncated state line through verbatim', () => {
    appendFileSync(join(dir, 'mounts.tsv'), 'garbage here\n/dev/sdc\text4\t10');
    const r = run('df', '-Pk');
    expect(r.status).toBe(0);
    expect(r.stdout.trimEnd().split('\n').slice(-2)).toEqual([
      'garbage here',
      '/dev/sdc\text4\t10',
    ]);
  });

  it('fails clearly without a state directory', () => {
    const r = spawnSync('df', ['-Pk'], {
      env: { PATH: `${SHIMS_DIR}:/usr/bin:/bin` },
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('RW_SIM_STATE');
  });
});

describe('docker ps shim', () => {
  it('prints running containers as Docker JSON lines with Docker field names', () => {
    const r = run('docker', 'ps', '--format', '{{json .}}');
    expect(r.status).toBe(0);
    const rows = jsonLines(r.stdout);
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(Object.keys(row)).toEqual([
      'Command',
      'CreatedAt',
      'ID',
      'Image',
      'Labels',
      'LocalVolumes',
      'Mounts',
      'Names',
      'Networks',
      'Ports',
      'RunningFor',
      'Size',
      'State',
      'Status',
    ]);
    expect(row).toMatchObject({
      ID: 'aaaaaaaaaaaa',
      Names: 'runner-abcdefgh-project-42-concurrent-0-0123abcd-build-2',
      Image: 'ruby:3.2',
      Command: '"sh -c \\"echo a && ec…"',
      CreatedAt: '2026-11-23 15:23:54 +0000 UTC',
      RunningFor: '5 minutes ago',
      State: 'running',
      Status: 'Up 5 minutes',
      LocalVolumes: '1',
      Mounts: 'runner-abcdefg…',
    });
    // Docker joins labels as k=v,k=v, in one string
    expect(String(row.Labels).split(',')).toContain('com.gitlab.gitlab-runner.job.id=1001');
    expect(String(row.Labels).split(',')).toContain('com.gitlab.gitlab-runner.project.id=42');
    // Go's encoder escapes & for HTML, as docker's {{json .}} does
    expect(r.stdout).toContain('\\u0026\\u0026');
  });

  it('lists stopped containers with -a, newest first, full ids with --no-trunc', () => {
    const rows = jsonLines(
      run('docker', 'ps', '-a', '--no-trunc', '--format', '{{json .}}').stdout,
    );
    expect(rows.map((r) => r.ID)).toEqual([hex('a'), hex('b')]);
    expect(rows[1]).toMatchObject({
      State: 'exited',
      Status: 'Exited (0) 25 hours ago',
      Command: '"true"',
    });
    expect(rows[0]!.Mounts).toBe(CACHE42);
  });

  it('filters by label and by volume', () => {
    const byLabel = jsonLines(
      run('docker', 'ps', '-a', '--filter', `label=${L.jobId}`, '--format', '{{json .}}').stdout,
    );
    expect(byLabel.map((r) => r.Names)).toEqual([
      'runner-abcdefgh-project-42-concurrent-0-0123abcd-build-2',
    ]);
    const byValue = run(
      'docker',
      'ps',
      '--filter',
      `label=${L.jobId}=999`,
      '--format',
      '{{json .}}',
    );
    expect(byValue.stdout).toBe('');
    const byVolume = jsonLines(
      run('docker', 'ps', '-a', '--filter', `volume=${CACHE42}`, '--format', '{{json .}}').stdout,
    );
    expect(byVolume).toHaveLength(1);
    expect(
      run('docker', 'ps', '-a', '--filter', `volume=${CACHE7}`, '--format', '{{json .}}').stdout,
    ).toBe('');
  });

  it('renders Go templates with \\t and .Label, and -q ids', () => {
    const r = run('docker', 'ps', '--format', `{{.ID}}\\t{{.Label "${L.jobId}"}}`);
    expect(r.stdout).toBe('aaaaaaaaaaaa\t1001\n');
    expect(run('docker', 'ps', '-aq').stdout).toBe('aaaaaaaaaaaa\nbbbbbbbbbbbb\n');
    const table = run('docker', 'ps').stdout.split('\n');
    expect(table[0]).toMatch(/^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/);
  });

  it('refuses unknown flags, filters and template fields like docker', () => {
    expect(run('docker', 'ps', '--bogus')).toMatchObject({
      status: 125,
      stderr: "unknown flag: --bogus\nSee 'docker ps --help'.\n",
    });
    expect(run('docker', 'ps', '--filter', 'foo=bar')).toMatchObject({
      status: 1,
      stderr: "Error response from daemon: invalid filter 'foo'\n",
    });
    expect(run('docker', 'ps', '--format', '{{.Nope}}').status).toBe(1);
    expect(run('docker', 'frobnicate')).toMatchObject({ status: 1 });
  });

  it('says the daemon is down when it is', () => {
    writeHostState(dir, { ...baseState(), dockerDown: true });
    const r = run('docker', 'ps', '--format', '{{json .}}');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Cannot connect to the Docker daemon');
    expect(r.stdout).toBe('');
  });

  it('prints garbage state verbatim so parsers see garbage', () => {
    writeFileSync(join(dir, 'containers.tsv'), '{"ID":"trunc\n\x00\x01binary\n');
    expect(run('docker', 'ps', '--format', '{{json .}}').stdout).toBe(
      '{"ID":"trunc\n\x00\x01binary\n',
    );
  });
});

describe('docker ps -a and docker inspect: when containers stopped', () => {
  const withStops = (): HostState => ({
    ...baseState(),
    containers: [
      ...baseState().containers!,
      {
        id: hex('c'),
        name: 'runner-abcdefgh-project-42-concurrent-0-99-build',
        image: 'ruby:3.2',
        created: NOW - 3 * 3600,
        state: 'exited',
        exitCode: 1,
        finished: NOW - 721 + 0.461,
        labels: { [L.jobId]: '999', [L.type]: 'build' },
      },
      {
        id: hex('d'),
        name: 'runner-abcdefgh-project-42-concurrent-0-cache-1',
        image: 'helper',
        created: NOW - 100,
        state: 'created',
        labels: { [L.jobId]: '1000', [L.type]: 'cache' },
      },
    ],
  });
  beforeEach(() => writeHostState(dir, withStops()));

  it('says "Exited (1) 12 minutes ago" from the finish time, not the creation time', () => {
    const rows = jsonLines(run('docker', 'ps', '-a', '--format', '{{json .}}').stdout);
    expect(
      rows.find((r) => r.Names === 'runner-abcdefgh-project-42-concurrent-0-99-build'),
    ).toMatchObject({
      State: 'exited',
      Status: 'Exited (1) 12 minutes ago',
      RunningFor: '3 hours ago',
    });
    // Without a finish time an exited container stopped when it was created (25 h ago).
    expect(rows.find((r) => r.Names === 'old-helper')?.Status).toBe('Exited (0) 25 hours ago');
    expect(
      rows.find((r) => r.Names === 'runner-abcdefgh-project-42-concurrent-0-cache-1')?.Status,
    ).toBe('Created');
  });

  it('--last N lists the N newest containers of any state, after the filters', () => {
    const ids = (...args: string[]) =>
      run('docker', 'ps', ...args)
        .stdout.trim()
        .split('\n');
    expect(ids('-q', '--last', '2')).toEqual([hex('d').slice(0, 12), hex('a').slice(0, 12)]);
    expect(ids('-aq', '--no-trunc', '--last', '5', '--filter', `label=${L.jobId}`)).toEqual([
      hex('d'),
      hex('a'),
      hex('c'),
    ]);
    expect(ids('-q', '-l')).toEqual([hex('d').slice(0, 12)]);
    const bad = run('docker', 'ps', '--last', 'x');
    expect(bad.status).toBe(125);
    expect(bad.stderr).toMatch(/invalid argument "x" for "-n, --last" flag/);
  });

  it('inspect prints State.FinishedAt as RFC 3339 and the labels by index, per container', () => {
    const r = run(
      'docker',
      'inspect',
      '--format',
      '{{.Id}} {{.State.Status}} {{.State.FinishedAt}} {{.State.ExitCode}} {{index .Config.Labels "com.gitlab.gitlab-runner.job.id"}}|{{index .Config.Labels "nope"}}|',
      hex('c'),
      'runner-abcdefgh-project-42-concurrent-0-0123abcd-build-2',
      'old-helper',
    );
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')).toEqual(
      [
        `${hex('c')} exited ${new Date((NOW - 721) * 1000 + 461).toISOString().replace(/\.(\d*?)0*Z$/, '.$1Z')} 1 999||`,
        `${hex('a')} running 0001-01-01T00:00:00Z 0 1001||`,
        `${hex('b')} exited ${new Date((NOW - 90_000) * 1000).toISOString().replace('.000Z', 'Z')} 0 |`,
        '',
      ].map((line, i) => (i === 2 ? `${line}|` : line)),
    );
  });

  it('inspect without --format prints a JSON array; unknown objects fail with exit 1 after the others', () => {
    const r = run('docker', 'inspect', hex('c').slice(0, 12), 'nope');
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('Error: No such object: nope\n');
    const [c] = JSON.parse(r.stdout) as {
      Id: string;
      Name: string;
      State: Record<string, unknown>;
      Config: { Labels: Record<string, string> };
    }[];
    expect(c?.Id).toBe(hex('c'));
    expect(c?.Name).toBe('/runner-abcdefgh-project-42-concurrent-0-99-build');
    expect(c?.State).toMatchObject({ Status: 'exited', Running: false, ExitCode: 1 });
    expect(c?.Config.Labels[L.jobId]).toBe('999');
    const none = run('docker', 'inspect');
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/"docker inspect" requires at least 1 argument/);
    const tpl = run('docker', 'inspect', '--format', '{{.State.Nope}}', hex('c'));
    expect(tpl.status).toBe(1);
    expect(tpl.stderr).toMatch(/can't evaluate field/);
  });

  it('date +%s answers the host clock; other date calls are the real date', () => {
    expect(run('date', '+%s').stdout).toBe(`${NOW}\n`);
    expect(run('date', '-u', '+%Y').stdout.trim()).toMatch(/^\d{4}$/);
  });

  it('round-trips the finish time through readHostState, and refuses one before creation', () => {
    expect(readHostState(dir).containers.find((c) => c.id === hex('c'))?.finished).toBe(
      NOW - 721 + 0.461,
    );
    const bad = withStops();
    bad.containers![2]!.finished = NOW - 4 * 3600;
    expect(() => writeHostState(dir, bad)).toThrow(
      /containers\.2\.finished: finished must not be before created/,
    );
  });
});

describe('docker volume and image shims', () => {
  it('lists volumes as JSON, sorted by name, filtered by name', () => {
    const rows = jsonLines(run('docker', 'volume', 'ls', '--format', '{{json .}}').stdout);
    expect(rows.map((r) => r.Name)).toEqual([CACHE42, CACHE7]);
    expect(rows[0]).toMatchObject({
      Driver: 'local',
      Scope: 'local',
      Mountpoint: `/var/lib/docker/volumes/${CACHE42}/_data`,
    });
    const filtered = jsonLines(
      run(
        'docker',
        'volume',
        'ls',
        '--filter',
        'name=runner-abcdefgh-project-7-',
        '--format',
        '{{json .}}',
      ).stdout,
    );
    expect(filtered.map((r) => r.Name)).toEqual([CACHE7]);
    expect(run('docker', 'volume', 'ls', '-q', '--filter', 'dangling=true').stdout).toBe(
      `${CACHE7}\n`,
    );
  });

  it('removes an unused volume, refuses one in use, frees its space and logs the call', () => {
    const before = readHostState(dir).mounts[0]!;
    const r = run('docker', 'volume', 'rm', CACHE42, CACHE7, 'nope');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(`${CACHE7}\n`);
    expect(r.stderr).toContain(
      `Error response from daemon: remove ${CACHE42}: volume is in use - [${hex('a')}]`,
    );
    expect(r.stderr).toContain('Error response from daemon: get nope: no such volume');
    const after = readHostState(dir);
    expect(after.volumes.map((v) => v.name)).toEqual([CACHE42]);
    expect(after.mounts[0]!.usedKiB).toBe(before.usedKiB - 2_000_000);
    expect(after.mounts[0]!.availKiB).toBe(before.availKiB + 2_000_000);
    expect(readCalls(dir).calls).toContainEqual({
      tool: 'docker',
      args: ['volume', 'rm', CACHE42, CACHE7, 'nope'],
    });
    expect(run('docker', 'volume', 'rm').status).toBe(1);
  });

  it('prunes unused images older than the bound', () => {
    const r = run('docker', 'image', 'prune', '-a', '-f', '--filter', 'until=24h');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      `Deleted Images:\nuntagged: node:20\ndeleted: sha256:${hex('2')}\n\nTotal reclaimed space: 1.1GB\n`,
    );
    // ruby:3.2 is used by a container, golang is newer than 24 h
    expect(readHostState(dir).images.map((i) => i.repository)).toEqual(['ruby', 'golang']);
    expect(run('docker', 'image', 'prune', '-a', '-f', '--filter', 'until=24h').stdout).toBe(
      'Total reclaimed space: 0B\n',
    );
    expect(run('docker', 'image', 'prune', '-a', '-f', '--filter', 'until=soon').status).toBe(1);
  });

  it('does not prune without -f when nobody confirms', () => {
    const r = run('docker', 'image', 'prune', '-a');
    expect(r.stdout).toContain('Are you sure you want to continue? [y/N]');
    expect(readHostState(dir).images).toHaveLength(3);
  });

  it('reports volume sizes and links with system df -v', () => {
    const r = run('docker', 'system', 'df', '-v', '--format', '{{json .}}');
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      Volumes: { Name: string; Size: string; Links: string }[];
      Images: unknown[];
    };
    expect(doc.Volumes).toEqual([
      expect.objectContaining({ Name: CACHE42, Size: '5GB', Links: '1' }),
      expect.objectContaining({ Name: CACHE7, Size: '2.048GB', Links: '0' }),
    ]);
    expect(doc.Images).toHaveLength(3);
    // docker writes the verbose document once, untruncated, with no newline after it
    expect(r.stdout.endsWith('}')).toBe(true);
    const full = JSON.parse(r.stdout) as {
      Containers: { ID: string; Mounts: string }[];
      Images: { ID: string }[];
    };
    expect(full.Containers.map((c) => c.ID)).toContain(hex('a'));
    expect(full.Containers.find((c) => c.ID === hex('a'))!.Mounts).toBe(CACHE42);
    expect(full.Images[0]!.ID).toBe('sha256:' + hex('1'));
  });
});

describe('docker-machine shim', () => {
  it('lists machines with a tab-separated format', () => {
    const r = run('docker-machine', 'ls', '--format', '{{.Name}}\\t{{.State}}\\t{{.URL}}');
    expect(r.stdout).toBe(
      'runner-abcdefgh-auto-scale-1795440000-0a1b2c3d\tRunning\ttcp://127.0.1.1:2376\n' +
        'runner-abcdefgh-auto-scale-1795440060-9f8e7d6c\tRunning\ttcp://127.0.1.2:2376\n',
    );
  });

  it('removes a machine with rm -y and refuses an unknown one', () => {
    const r = run('docker-machine', 'rm', '-y', 'runner-abcdefgh-auto-scale-1795440000-0a1b2c3d');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(
      'Successfully removed runner-abcdefgh-auto-scale-1795440000-0a1b2c3d',
    );
    expect(run('docker-machine', 'ls', '-q').stdout).toBe(
      'runner-abcdefgh-auto-scale-1795440060-9f8e7d6c\n',
    );
    const bad = run('docker-machine', 'rm', '-y', 'nope');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('Host does not exist: "nope"');
    expect(readCalls(dir).calls.filter((c) => c.tool === 'docker-machine')).toHaveLength(3);
  });
});

describe('/proc shims (cat, nproc)', () => {
  it('answers /proc/loadavg, /proc/meminfo and nproc from the host state', () => {
    writeHostState(dir, {
      ...baseState(),
      load: {
        load1: 1.52,
        load5: 0.41,
        load15: 0.3,
        cpus: 2,
        memTotalKiB: 3_911_384,
        memAvailableKiB: 2_000_000,
      },
    });
    expect(run('cat', '/proc/loadavg').stdout).toMatch(/^1\.52 0\.41 0\.30 1\/\d+ \d+\n$/);
    const mem = run('cat', '/proc/meminfo').stdout;
    expect(mem).toMatch(/^MemTotal: +3911384 kB$/m);
    expect(mem).toMatch(/^MemAvailable: +2000000 kB$/m);
    expect(run('nproc').stdout).toBe('2\n');
    // other files are the real cat's
    expect(run('cat', join(dir, 'now')).stdout).toBe(`${NOW}\n`);
    const missing = run('cat', join(dir, 'nope'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('No such file or directory');
  });

  it('falls back to the real machine without load state, and passes garbage through', () => {
    // the real file changes between reads: compare its shape and the real nproc
    expect(run('cat', '/proc/loadavg').stdout).toMatch(
      /^\d+\.\d\d \d+\.\d\d \d+\.\d\d \d+\/\d+ \d+\n$/,
    );
    expect(run('nproc').stdout).toBe(execFileSync('/usr/bin/nproc', { encoding: 'utf8' }));
    writeFileSync(join(dir, 'load.tsv'), 'garbage\n');
    expect(run('cat', '/proc/loadavg').stdout).toBe('garbage\n');
    expect(run('nproc').stdout).toBe('garbage\n');
  });
});

describe('writeHostState', () => {
  it('rejects bad input with the field that is wrong', () => {
    const bad = baseState();
    bad.mounts[0]!.usedKiB = 50_000_000;
    expect(() => writeHostState(dir, bad)).toThrow(HostStateError);
    expect(() => writeHostState(dir, bad)).toThrow(/mounts\.0/);
    expect(() =>
      writeHostState(dir, {
        ...baseState(),
        containers: [{ ...baseState().containers![0]!, id: 'xyz' }],
      }),
    ).toThrow(/containers\.0\.id: must be 64 lowercase hex/);
    expect(() => writeHostState(dir, { ...baseState(), hostname: 'a\tb' })).toThrow(/hostname/);
    expect(() => writeHostState(dir, { ...baseState(), mounts: [] })).toThrow(/at least one mount/);
  });

  it('round-trips through readHostState', () => {
    const back = readHostState(dir);
    expect(back.containers[0]!.labels[L.jobId]).toBe('1001');
    expect(back.volumes.map((v) => v.sizeBytes)).toEqual([5_000_000_000, 2_048_000_000]);
    expect(back.machines).toHaveLength(2);
    expect(readFileSync(join(dir, 'now'), 'utf8')).toBe(`${NOW}\n`);
    writeFileSync(join(dir, 'volumes.tsv'), 'x\tlocal\tnotanumber\t\n');
    expect(() => readHostState(dir)).toThrow(/volume size is not an integer/);
  });

  it('runs without Node: the shims are POSIX sh', () => {
    const head = execFileSync('head', ['-1', join(SHIMS_DIR, 'docker')], { encoding: 'utf8' });
    expect(head).toBe('#!/bin/sh\n');
  });
});
