import { describe, expect, it } from 'vitest';
import {
  parseDf,
  parseDockerLabels,
  parseDockerPs,
  parseHumanSize,
  parseLoadavg,
  parseMeminfo,
  parseContainerExits,
  parseProbeOutput,
  parseRfc3339,
  usedPercent,
  type ProbeSection,
} from '../../../electron/core/sources/ssh/probe-parse';
import { probeCommand } from '../../../electron/core/sources/ssh/probe-script';

const N = 'abcdef0123456789';

// Real `df -Pk` output (GNU coreutils 9, Debian), one row per asked path.
const DF_ROOT = `Filesystem     1024-blocks     Used Available Capacity Mounted on
/dev/vda         264212084 24032592  82358320      23% /`;
const DF_DOCKER = `Filesystem     1024-blocks     Used Available Capacity Mounted on
/dev/sdb1        102626232 61894432  35472588      64% /var/lib/docker`;
const DFI_ROOT = `Filesystem       Inodes  IUsed    IFree IUse% Mounted on
/dev/vda       16777216 430780 16346436    3% /`;
const DFI_BTRFS = `Filesystem     Inodes IUsed IFree IUse% Mounted on
/dev/sdb1           0     0     0     - /var/lib/docker`;
// A real job container line of `docker ps --no-trunc --format '{{json .}}'` (Docker 27).
const PS_BUILD = JSON.stringify({
  Command: '"sh -c \'if [ -x /usr/local/bin/bash ]; then\\n\\texec /usr/local/bin/bash \\nelif…"',
  CreatedAt: '2026-11-23 14:58:03 +0000 UTC',
  ID: 'f1d2d2f924e986ac86fdf7b36c94bcdf32beec15f1d2d2f924e986ac86fdf7b3',
  Image: 'sha256:3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741',
  Labels:
    'com.gitlab.gitlab-runner.job.before_sha=0000000000000000000000000000000000000000,com.gitlab.gitlab-runner.job.id=8812345,com.gitlab.gitlab-runner.job.ref=feature/a,b=c,com.gitlab.gitlab-runner.job.sha=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b,com.gitlab.gitlab-runner.job.timeout=1h0m0s,com.gitlab.gitlab-runner.job.url=https://gitlab.example.com/g/p/-/jobs/8812345,com.gitlab.gitlab-runner.managed=true,com.gitlab.gitlab-runner.pipeline.id=441122,com.gitlab.gitlab-runner.project.id=278964,com.gitlab.gitlab-runner.runner.id=x1y2z3w4,com.gitlab.gitlab-runner.type=build',
  LocalVolumes: '1',
  Mounts: 'runner-x1y2z3w4…',
  Names: 'runner-x1y2z3w4-project-278964-concurrent-0-5c8a2b1d7e3f9a04-build',
  Networks: 'bridge',
  Ports: '',
  RunningFor: '3 minutes ago',
  Size: '0B',
  State: 'running',
  Status: 'Up 3 minutes',
});
const PS_SERVICE = JSON.stringify({
  CreatedAt: '2026-11-23 14:57:58 +0000 UTC',
  ID: 'aa'.repeat(32),
  Labels:
    'com.gitlab.gitlab-runner.type=service,com.gitlab.gitlab-runner.job.id=8812345,com.gitlab.gitlab-runner.project.id=278964',
  Names: 'runner-x1y2z3w4-project-278964-concurrent-0-5c8a2b1d7e3f9a04-postgres-0',
  State: 'running',
});

// The container-exits section: `date +%s`, then `docker inspect --format` of each job container.
// 2026-11-19T09:00:00Z on the host's clock.
const HOST_NOW = Date.UTC(2026, 10, 19, 9) / 1000;
const EXITS = [
  String(HOST_NOW),
  `${'f1'.repeat(32)} running 0001-01-01T00:00:00Z 8812345 build`,
  `${'c1'.repeat(32)} exited 2026-11-19T08:13:20.461876391Z 8800001 build`,
  `${'c2'.repeat(32)} exited 2026-11-19T08:03:20Z 8800001 predefined`,
  `${'c3'.repeat(32)} exited 2026-11-19T08:20:00Z 8700000 cache`,
].join('\n');

function section(name: string, stdout: string, status: number | null, stderr = ''): string {
  const end = status === null ? '' : `\n@@${N} end ${name} ${status}`;
  return `@@${N} begin ${name}\n${stdout}\n@@${N} stderr ${name}\n${stderr}${end}\n`;
}

function full(parts: Partial<Record<string, string>> = {}, done = true): string {
  const all: Record<string, string> = {
    'df-k:/': section('df-k:/', DF_ROOT, 0),
    'df-k:/var/lib/docker': section('df-k:/var/lib/docker', DF_DOCKER, 0),
    'df-i:/': section('df-i:/', DFI_ROOT, 0),
    'df-i:/var/lib/docker': section('df-i:/var/lib/docker', DFI_BTRFS, 0),
    'docker-ps': section('docker-ps', `${PS_BUILD}\n${PS_SERVICE}`, 0),
    loadavg: section('loadavg', '0.52 0.58 0.59 1/467 12345', 0),
    meminfo: section(
      'meminfo',
      'MemTotal:       16318324 kB\nMemFree:         1234567 kB\nMemAvailable:    8159162 kB',
      0,
    ),
    nproc: section('nproc', '4', 0),
    'container-exits': section('container-exits', EXITS, 0),
  };
  for (const [k, v] of Object.entries(parts)) if (v !== undefined) all[k] = v;
  return Object.values(all).join('') + (done ? `@@${N} done\n` : '');
}
const req = { mounts: ['/', '/var/lib/docker'], volumes: false };

describe('parseProbeOutput', () => {
  it('reads disks, jobs and load from a complete answer', () => {
    const report = parseProbeOutput(full(), N, req);
    expect(report.errors).toEqual([]);
    expect(report.disks).toEqual([
      {
        mount: '/',
        sizeBytes: 264212084 * 1024,
        usedBytes: 24032592 * 1024,
        availBytes: 82358320 * 1024,
        usedPct: 23,
        inodesTotal: 16777216,
        inodesUsed: 430780,
        inodesUsedPct: 3,
      },
      {
        mount: '/var/lib/docker',
        sizeBytes: 102626232 * 1024,
        usedBytes: 61894432 * 1024,
        availBytes: 35472588 * 1024,
        usedPct: 64,
        inodesTotal: null,
        inodesUsed: null,
        inodesUsedPct: null,
      },
    ]);
    expect(report.jobs).toEqual([
      {
        jobId: 8812345,
        projectId: 278964,
        pipelineId: 441122,
        runnerId: null,
        containerName: 'runner-x1y2z3w4-project-278964-concurrent-0-5c8a2b1d7e3f9a04-build',
        jobUrl: 'https://gitlab.example.com/g/p/-/jobs/8812345',
        ref: 'feature/a,b=c',
        name: null,
        projectPath: null,
        user: null,
        startedAt: Date.parse('2026-11-23T14:57:58Z'),
        seenIn: ['machine'],
      },
    ]);
    expect(report.load).toEqual({
      load1: 0.52,
      load5: 0.58,
      load15: 0.59,
      cpus: 4,
      memTotalBytes: 16318324 * 1024,
      memAvailableBytes: 8159162 * 1024,
    });
    expect(report.containerExits).toEqual({
      hostNow: HOST_NOW * 1000,
      // The cache container's later stop says nothing about the last job.
      lastExit: { ageMs: HOST_NOW * 1000 - Date.parse('2026-11-19T08:13:20.461Z'), jobId: 8800001 },
      active: 1,
      exited: 2,
    });
    expect(report.complete).toBe(true);
  });

  it('reports a mount missing on the host as absent, the others still read', () => {
    const absent = section(
      'df-k:/var/lib/docker',
      '',
      1,
      'df: /var/lib/docker: No such file or directory',
    );
    const report = parseProbeOutput(full({ 'df-k:/var/lib/docker': absent }), N, req);
    expect(report.absentMounts).toEqual(['/var/lib/docker']);
    expect(report.disks?.map((d) => d.mount)).toEqual(['/']);
  });

  it('collapses two watched paths on one filesystem into one disk', () => {
    const same = section('df-k:/var/lib/docker', DF_ROOT, 0);
    const report = parseProbeOutput(
      full({
        'df-k:/var/lib/docker': same,
        'df-i:/var/lib/docker': section('df-i:/var/lib/docker', DFI_ROOT, 0),
      }),
      N,
      req,
    );
    expect(report.disks?.map((d) => d.mount)).toEqual(['/']);
  });

  it('marks disks unknown (not zero) when a df answer is garbled', () => {
    const garbled = section(
      'df-k:/var/lib/docker',
      'Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sdb1 1026 garbage',
      0,
    );
    const report = parseProbeOutput(full({ 'df-k:/var/lib/docker': garbled }), N, req);
    expect(report.disks).toBeNull();
    expect(report.errors.join()).toMatch(/df \/var\/lib\/docker: unexpected df line/);
    expect(report.jobs).not.toBeNull();
  });

  it('marks jobs unknown when docker is down, never empty', () => {
    const down = section(
      'docker-ps',
      '',
      1,
      'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
    );
    const report = parseProbeOutput(full({ 'docker-ps': down }), N, req);
    expect(report.jobs).toBeNull();
    expect(report.errors.join()).toMatch(
      /docker ps: exit status 1 \(Cannot connect to the Docker daemon/,
    );
    expect(report.disks).not.toBeNull();
  });

  it('reads no job containers as an empty job list', () => {
    const report = parseProbeOutput(full({ 'docker-ps': section('docker-ps', '', 0) }), N, req);
    expect(report.jobs).toEqual([]);
  });

  it('marks jobs unknown when a container line is garbled or has no job id', () => {
    expect(
      parseProbeOutput(full({ 'docker-ps': section('docker-ps', '{"ID":"x","Names":', 0) }), N, req)
        .jobs,
    ).toBeNull();
    const noId = JSON.stringify({
      ID: 'x',
      Names: 'n',
      Labels: 'com.gitlab.gitlab-runner.job.id=abc',
    });
    const report = parseProbeOutput(full({ 'docker-ps': section('docker-ps', noId, 0) }), N, req);
    expect(report.jobs).toBeNull();
    expect(report.errors.join()).toMatch(/job id label "abc" is not a job id/);
  });

  it('keeps finished sections of a cut-off answer and marks the rest unknown', () => {
    const cut =
      section('df-k:/', DF_ROOT, 0) +
      section('df-k:/var/lib/docker', DF_DOCKER, 0) +
      section('df-i:/', DFI_ROOT, 0) +
      section('df-i:/var/lib/docker', DFI_BTRFS, 0) +
      section('docker-ps', PS_BUILD, null);
    const report = parseProbeOutput(cut, N, req);
    expect(report.complete).toBe(false);
    expect(report.disks).toHaveLength(2);
    expect(report.jobs).toBeNull();
    expect(report.load).toBeNull();
    expect(report.errors).toContain('docker ps: answer cut off');
  });

  it('ignores marker look-alikes with another nonce', () => {
    const forged = section('docker-ps', `${PS_BUILD}\n@@ffffffffffffffff end docker-ps 0`, 0);
    const report = parseProbeOutput(full({ 'docker-ps': forged }), N, req);
    expect(report.jobs).toBeNull();
  });

  it('keeps load when meminfo is garbled, with memory unknown', () => {
    const report = parseProbeOutput(full({ meminfo: section('meminfo', 'garbage', 0) }), N, req);
    expect(report.load).toMatchObject({
      load1: 0.52,
      memTotalBytes: null,
      memAvailableBytes: null,
      cpus: 4,
    });
    expect(report.errors).toContain('/proc/meminfo has no MemTotal');
  });

  it('reads runner volumes when asked', () => {
    const json = JSON.stringify({
      Images: [],
      Containers: [],
      Volumes: [
        { Name: 'runner-x1y2z3w4-project-1-concurrent-0-cache-3c3f', Size: '1.25GB', Links: '0' },
        { Name: 'pgdata', Size: '10MB', Links: '1' },
      ],
      BuildCache: [],
    });
    const report = parseProbeOutput(full({ volumes: section('volumes', json, 0) }), N, {
      ...req,
      volumes: true,
    });
    expect(report.volumes).toEqual([
      {
        name: 'runner-x1y2z3w4-project-1-concurrent-0-cache-3c3f',
        sizeBytes: 1_250_000_000,
        links: 0,
      },
    ]);
  });
});

describe('probe pieces', () => {
  it('usedPercent follows df: used / (used + avail), rounded up', () => {
    expect(usedPercent(24032592, 82358320)).toBe(23);
    expect(usedPercent(1, 99)).toBe(1);
    expect(usedPercent(1, 1000)).toBe(1);
    expect(usedPercent(0, 100)).toBe(0);
    expect(usedPercent(0, 0)).toBe(0);
  });
  it('parseDf keeps mount points with spaces and rejects a wrong header', () => {
    expect(
      parseDf(
        'Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sdc 100 40 60 40% /mnt/my disk',
        'k',
      )[0]?.mount,
    ).toBe('/mnt/my disk');
    expect(() =>
      parseDf('Filesystem Size Used Avail Use% Mounted on\n/dev/sda 1G 1G 0 100% /', 'k'),
    ).toThrow(/header/);
    expect(() => parseDf('', 'k')).toThrow(/header/);
  });
  it('parseDockerLabels keeps commas inside values', () => {
    expect(parseDockerLabels('a=1,com.x.ref=feat,ure,b=2')).toEqual({
      a: '1',
      'com.x.ref': 'feat,ure',
      b: '2',
    });
    expect(parseDockerLabels('')).toEqual({});
    expect(parseDockerLabels('k=')).toEqual({ k: '' });
    expect(parseDockerLabels('constructor=1')).toEqual({ constructor: '1' });
    expect(() => parseDockerLabels('garbage')).toThrow(/key=value/);
  });
  it('parseDockerPs collapses a job’s containers and names it by its build container', () => {
    const jobs = parseDockerPs(`${PS_SERVICE}\n${PS_BUILD}`);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.containerName).toMatch(/-build$/);
  });
  it('rejects garbled /proc figures', () => {
    expect(parseLoadavg('0.00 0.01 0.05 1/100 42\n')).toEqual([0, 0.01, 0.05]);
    expect(() => parseLoadavg('0.00 0.01')).toThrow(/loadavg/);
    expect(() => parseMeminfo('MemTotal: x kB')).toThrow(/MemTotal/);
  });
  it('parseHumanSize reads decimal units', () => {
    expect(parseHumanSize('0B')).toBe(0);
    expect(parseHumanSize('123.5MB')).toBe(123_500_000);
    expect(parseHumanSize('1.2kB')).toBe(1200);
    expect(parseHumanSize('lots')).toBeNull();
  });
  it('probeCommand refuses relative mounts and bad nonces', () => {
    expect(() => probeCommand({ mounts: ['var'], volumes: false })).toThrow(/absolute/);
    expect(() => probeCommand({ mounts: ['/'], volumes: false, nonce: 'x; rm' })).toThrow(/nonce/);
    const { argv } = probeCommand({ mounts: ['/'], volumes: false, nonce: N });
    expect(argv.slice(3)).toEqual(['rw-probe', N, '0', '/']);
  });
});

describe('container exits (idle evidence)', () => {
  const ok = (stdout: string, stderr = '', status: number | null = 0): ProbeSection => ({
    stdout,
    stderr,
    status,
  });
  const id = (n: number) => n.toString(16).padStart(64, '0');

  it('reads RFC 3339 the way Go prints it: nanoseconds, offsets, the zero time', () => {
    expect(parseRfc3339('2026-12-03T13:17:00Z')).toBe(Date.UTC(2026, 11, 3, 13, 17));
    expect(parseRfc3339('2026-12-03T13:17:00.461876391Z')).toBe(
      Date.UTC(2026, 11, 3, 13, 17, 0, 461),
    );
    expect(parseRfc3339('2026-12-03T14:17:00+01:00')).toBe(Date.UTC(2026, 11, 3, 13, 17));
    expect(parseRfc3339('0001-01-01T00:00:00Z')).toBeNull();
    for (const bad of [
      '',
      'yesterday',
      '2026-13-03T13:17:00Z',
      '2026-12-03 13:17:00 +0000 UTC',
      `2026-12-03T13:17:00.${'1'.repeat(40)}Z`,
    ])
      expect(() => parseRfc3339(bad), bad).toThrow();
  });

  it('no job container: the host clock and no stop', () => {
    expect(parseContainerExits(ok(String(HOST_NOW)))).toEqual({
      hostNow: HOST_NOW * 1000,
      lastExit: null,
      active: 0,
      exited: 0,
    });
  });

  it('counts ages on the host clock, so a host clock hours behind does not make a stop look older', () => {
    // The host believes it is 10:00 (really 13:00); its container stopped 50 min earlier on that clock.
    const hostNow = Date.UTC(2026, 11, 3, 10) / 1000;
    const report = parseContainerExits(
      ok(`${hostNow}\n${id(1)} exited 2026-12-03T09:10:00Z 5 build`),
    );
    expect(report.lastExit).toEqual({ ageMs: 50 * 60_000, jobId: 5 });
  });

  it('a stop after the host clock (skew within the host) counts as now, never as a negative age', () => {
    const hostNow = Date.UTC(2026, 11, 3, 10) / 1000;
    const report = parseContainerExits(
      ok(`${hostNow}\n${id(1)} exited 2026-12-03T11:00:00Z 5 build`),
    );
    expect(report.lastExit).toEqual({ ageMs: 0, jobId: 5 });
  });

  it('created, paused and restarting job containers are a job on the machine; a created cache container is not', () => {
    const report = parseContainerExits(
      ok(
        [
          String(HOST_NOW),
          `${id(1)} created 0001-01-01T00:00:00Z 5 build`,
          `${id(2)} paused 0001-01-01T00:00:00Z 6 build`,
          `${id(3)} restarting 2026-11-19T08:00:00Z 7 service`,
          `${id(4)} created 0001-01-01T00:00:00Z 8 cache`,
          `${id(5)} running 0001-01-01T00:00:00Z 9 cache`,
        ].join('\n'),
      ),
    );
    expect(report.active).toBe(4);
    expect(report.exited).toBe(0);
  });

  it('a container removed between listing and inspecting it stopped just now', () => {
    const report = parseContainerExits(
      ok(
        `${HOST_NOW}\n${id(1)} exited 2026-11-19T08:00:00Z 5 build`,
        `Error: No such object: ${id(2)}`,
        1,
      ),
    );
    expect(report.lastExit).toEqual({ ageMs: 0, jobId: null });
    expect(report.exited).toBe(2);
    const removing = parseContainerExits(
      ok(`${HOST_NOW}\n${id(1)} removing 2026-11-19T08:00:00Z 5 build`),
    );
    expect(removing.lastExit).toEqual({ ageMs: 0, jobId: 5 });
  });

  it('a missing job id label leaves the job unknown, the stop still counts', () => {
    const report = parseContainerExits(ok(`${HOST_NOW}\n${id(1)} exited 2026-11-19T08:00:00Z  `));
    expect(report.lastExit?.jobId).toBeNull();
    expect(report.exited).toBe(1);
  });

  it('everything else is unknown: docker down, garbage, no clock, a stopped container without a finish time', () => {
    const cases: [string, ProbeSection][] = [
      [
        'docker down',
        ok(
          String(HOST_NOW),
          'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
          1,
        ),
      ],
      ['cut off', ok(String(HOST_NOW), '', null)],
      ['no clock', ok(`${id(1)} exited 2026-11-19T08:00:00Z 5 build`)],
      ['clock not seconds', ok('Thu Dec  3 14:07:00 UTC 2026')],
      ['empty answer', ok('')],
      ['short id', ok(`${HOST_NOW}\nabc exited 2026-11-19T08:00:00Z 5 build`)],
      ['unknown state', ok(`${HOST_NOW}\n${id(1)} sleeping 2026-11-19T08:00:00Z 5 build`)],
      ['never stopped', ok(`${HOST_NOW}\n${id(1)} exited 0001-01-01T00:00:00Z 5 build`)],
      ['dead, never stopped', ok(`${HOST_NOW}\n${id(1)} dead 0001-01-01T00:00:00Z 5 build`)],
      ['bad time', ok(`${HOST_NOW}\n${id(1)} exited 12 minutes ago`)],
      [
        'a gone container and another error',
        ok(String(HOST_NOW), `Error: No such object: ${id(2)}\npermission denied`, 1),
      ],
      [
        'template error',
        ok(
          String(HOST_NOW),
          'template: :1:2: executing "" at <.State.FinishedAt>: map has no entry',
          1,
        ),
      ],
    ];
    for (const [what, section] of cases) expect(() => parseContainerExits(section), what).toThrow();
  });

  it('the probe answer names the section when it is unreadable; the other fields still read', () => {
    const report = parseProbeOutput(
      full({ 'container-exits': section('container-exits', 'garbage', 0) }),
      N,
      req,
    );
    expect(report.containerExits).toBeNull();
    expect(report.errors.join('\n')).toMatch(
      /^container exits: host clock "garbage" is not unix seconds$/m,
    );
    expect(report.jobs).not.toBeNull();
    expect(report.disks).not.toBeNull();
  });
});

describe('the probe script run by a real sh over the simulated host tools', () => {
  it('prints a block the parser reads completely, with a missing mount reported absent', async () => {
    const { execFileSync } = await import('node:child_process');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { SHIMS_DIR, writeHostState, RUNNER_LABEL } = await import('../../sim/host-state');
    const dir = mkdtempSync(join(tmpdir(), 'rw-probe-sh-'));
    try {
      writeHostState(dir, {
        hostname: 'h',
        now: 1_800_000_000,
        mounts: [
          {
            device: '/dev/vda1',
            fstype: 'ext4',
            mount: '/',
            sizeKiB: 1000,
            usedKiB: 601,
            availKiB: 399,
            inodes: { total: 100, used: 10, free: 90 },
          },
        ],
        containers: [
          {
            id: 'b'.repeat(64),
            name: 'runner-x-project-1-concurrent-0-abc-build',
            image: 'alpine',
            created: 1_799_999_000,
            state: 'running',
            labels: { [RUNNER_LABEL.jobId]: '77', [RUNNER_LABEL.type]: 'build' },
          },
          {
            id: 'a'.repeat(64),
            name: 'runner-x-project-1-concurrent-0-abb-build',
            image: 'alpine',
            created: 1_799_990_000,
            state: 'exited',
            finished: 1_799_997_000,
            labels: { [RUNNER_LABEL.jobId]: '76', [RUNNER_LABEL.type]: 'build' },
          },
          // Not a job container: neither a job nor a stop of one.
          {
            id: 'c'.repeat(64),
            name: 'nginx',
            image: 'nginx',
            created: 1_799_000_000,
            state: 'exited',
            finished: 1_799_999_999,
          },
        ],
      });
      const mounts = ['/', '/var/lib/docker'];
      const { argv, nonce } = probeCommand({ mounts, volumes: true });
      const out = execFileSync(argv[0]!, argv.slice(1), {
        env: { PATH: `${SHIMS_DIR}:/usr/bin:/bin`, RW_SIM_STATE: dir },
      }).toString();
      expect(argv[2]).not.toContain('\n');
      const report = parseProbeOutput(out, nonce, { mounts, volumes: true });
      expect(report.errors).toEqual([]);
      expect(report.complete).toBe(true);
      expect(report.absentMounts).toEqual(['/var/lib/docker']);
      expect(report.disks).toEqual([
        {
          mount: '/',
          sizeBytes: 1000 * 1024,
          usedBytes: 601 * 1024,
          availBytes: 399 * 1024,
          usedPct: 61,
          inodesTotal: 100,
          inodesUsed: 10,
          inodesUsedPct: 10,
        },
      ]);
      expect(report.jobs?.map((j) => [j.jobId, j.containerName])).toEqual([
        [77, 'runner-x-project-1-concurrent-0-abc-build'],
      ]);
      expect(report.volumes).toEqual([]);
      expect(report.containerExits).toEqual({
        hostNow: 1_800_000_000_000,
        lastExit: { ageMs: 3_000_000, jobId: 76 },
        active: 1,
        exited: 1,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
