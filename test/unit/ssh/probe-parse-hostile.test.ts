import { describe, expect, it } from 'vitest';
import { LoadInfo, DiskUsage } from '../../../shared/machine';
import { CONTAINER_EXIT_LIMIT } from '../../../electron/core/sources/ssh/probe-script';
import {
  MAX_DF_LINE,
  MAX_EXIT_LINE,
  parseContainerExits,
  parseDf,
  parseHumanSize,
  parseLoadavg,
  parseMeminfo,
  parseProbeOutput,
  parseRunnerVolumes,
} from '../../../electron/core/sources/ssh/probe-parse';

// Issue 16.4/16.5 and 17.2: a probe answer is hostile input. Figures no real machine
// reports make the field unknown with a reason (never NaN, Infinity, or a figure the
// reaper compares), and no line can stall the parser.

const N = 'abcdef0123456789';
const DF_HEADER = 'Filesystem     1024-blocks     Used Available Capacity Mounted on';
const DFI_HEADER = 'Filesystem       Inodes  IUsed    IFree IUse% Mounted on';
const HUGE = '9'.repeat(400);

function section(name: string, stdout: string): string {
  return `@@${N} begin ${name}\n${stdout}\n@@${N} stderr ${name}\n\n@@${N} end ${name} 0\n`;
}

function answer(parts: {
  df?: string;
  dfi?: string;
  loadavg?: string;
  meminfo?: string;
  nproc?: string;
}) {
  return (
    section('df-k:/', `${DF_HEADER}\n${parts.df ?? '/dev/vda 1000 400 500 45% /'}`) +
    section('df-i:/', `${DFI_HEADER}\n${parts.dfi ?? '/dev/vda 1000 10 990 1% /'}`) +
    section('docker-ps', '') +
    section('loadavg', parts.loadavg ?? '0.52 0.58 0.59 1/467 12345') +
    section(
      'meminfo',
      parts.meminfo ?? 'MemTotal:       16318324 kB\nMemAvailable:    8159162 kB',
    ) +
    section('nproc', parts.nproc ?? '4') +
    section('container-exits', '1795000000') +
    `@@${N} done\n`
  );
}

const parse = (parts: Parameters<typeof answer>[0]) =>
  parseProbeOutput(answer(parts), N, { mounts: ['/'], volumes: false });

describe('impossible disk figures make the disks unknown', () => {
  it.each([
    [
      'a 400-digit size',
      `/dev/vda ${HUGE} 400 500 45% /`,
      /df \/: df figure 9{20}… is too large to be real/,
    ],
    ['a 400-digit used count', `/dev/vda 1000 ${HUGE} 500 45% /`, /too large to be real/],
    [
      'used above the size',
      '/dev/vda 1000 1400 0 100% /',
      /used \(1400\) exceeds the size \(1000\)/,
    ],
    [
      'available above the size',
      '/dev/vda 1000 0 1500 0% /',
      /available \(1500\) exceeds the size/,
    ],
    ['a 0-byte filesystem "at 0 %"', '/dev/vda 0 0 0 0% /', /filesystem reports a size of 0/],
  ])('%s', (_name, row, reason) => {
    const report = parse({ df: row });
    expect(report.disks).toBeNull();
    expect(report.errors.join('; ')).toMatch(reason);
  });

  it('a sane row still reads, and passes the contract', () => {
    const report = parse({});
    expect(report.errors).toEqual([]);
    expect(report.disks).toEqual([
      expect.objectContaining({ mount: '/', sizeBytes: 1_024_000, usedPct: 45 }),
    ]);
    expect(DiskUsage.array().safeParse(report.disks).success).toBe(true);
  });

  it('impossible inode figures leave the inodes unknown, not the disk', () => {
    const report = parse({ dfi: '/dev/vda 1000 5000 0 100% /' });
    expect(report.disks?.[0]).toMatchObject({ inodesTotal: null, inodesUsedPct: null });
    expect(report.errors.join('; ')).toMatch(/df -i \/: used \(5000\) exceeds the inode count/);
  });
});

describe('impossible load and memory figures make the field unknown', () => {
  it('a 400-digit CPU count is unknown (was Infinity, which broke the snapshot schema)', () => {
    const report = parse({ nproc: HUGE });
    expect(report.load?.cpus).toBeNull();
    expect(report.errors.join('; ')).toMatch(/^nproc: unexpected/);
    expect(LoadInfo.safeParse(report.load).success).toBe(true);
  });

  it('a CPU count no kernel supports is unknown', () => {
    expect(parse({ nproc: '1000000' }).load?.cpus).toBeNull();
    expect(parse({ nproc: '0' }).load?.cpus).toBeNull();
    expect(parse({ nproc: '128' }).load?.cpus).toBe(128);
  });

  it('huge load averages are unknown', () => {
    expect(() => parseLoadavg(`${HUGE}.0 0.1 0.1 1/2 3`)).toThrow(/unexpected|not real/);
    expect(() => parseLoadavg('2000000.00 0.1 0.1 1/2 3')).toThrow(/load above 1000000/);
    expect(parse({ loadavg: '2000000.00 0.1 0.1 1/2 3' }).load).toBeNull();
  });

  it('MemAvailable above MemTotal, a 0 MemTotal or a 400-digit figure leave memory unknown', () => {
    expect(() => parseMeminfo('MemTotal: 100 kB\nMemAvailable: 200 kB')).toThrow(
      /MemAvailable exceeds MemTotal/,
    );
    expect(() => parseMeminfo('MemTotal: 0 kB\nMemAvailable: 0 kB')).toThrow(/MemTotal is 0/);
    expect(() => parseMeminfo(`MemTotal: ${HUGE} kB\nMemAvailable: 1 kB`)).toThrow(
      /too large to be real/,
    );
    const report = parse({ meminfo: 'MemTotal: 100 kB\nMemAvailable: 200 kB' });
    expect(report.load).toMatchObject({ memTotalBytes: null, memAvailableBytes: null });
  });

  it('an Infinity volume size is unknown, not huge', () => {
    expect(parseHumanSize(`${HUGE}GB`)).toBeNull();
    expect(parseHumanSize('1e400B')).toBeNull();
    const volumes = parseRunnerVolumes(
      JSON.stringify({ Volumes: [{ Name: 'runner-x-cache', Size: `${HUGE}MB`, Links: HUGE }] }),
    );
    expect(volumes).toEqual([{ name: 'runner-x-cache', sizeBytes: null, links: null }]);
  });
});

describe('df parsing is linear and line-bounded', () => {
  it('refuses a 50,000-space row at once, naming the bound (was 4.6 s of regex backtracking)', () => {
    const line = `/dev/vda${' '.repeat(50_000)}x`;
    expect(() => parseDf(`${DF_HEADER}\n${line}`, 'k')).toThrow(
      `df line longer than ${MAX_DF_LINE} characters (50009)`,
    );
  });

  it('still parses names and mount points with spaces, and rows just under the bound', () => {
    const mount = `/mnt/with space/${'d'.repeat(MAX_DF_LINE - 100)}`;
    const rows = parseDf(
      `${DF_HEADER}\nmy fs   100 10 90 10% /srv/a b\n//nas/share 1 1 0 100% ${mount}`,
      'k',
    );
    expect(rows).toEqual([
      { filesystem: 'my fs', total: 100, used: 10, avail: 90, mount: '/srv/a b' },
      { filesystem: '//nas/share', total: 1, used: 1, avail: 0, mount },
    ]);
  });

  it('a row of spaces and figures within the bound is refused without backtracking', () => {
    // The old pattern backtracked over every split of this row; this one is one pass.
    const row = `a ${'1 '.repeat(Math.floor((MAX_DF_LINE - 10) / 2))}`;
    expect(() => parseDf(`${DF_HEADER}\n${row}`, 'k')).toThrow(/unexpected df line/);
  });
});

describe('container exits: a hostile host cannot make a machine look idle long, nor stall the parser', () => {
  const id = (n: number) => n.toString(16).padStart(64, '0');
  const exits = (stdout: string, stderr = '', status = 0) =>
    parseContainerExits({ stdout, stderr, status });
  const CLOCK = String(Date.UTC(2026, 11, 3, 12) / 1000);

  it('more containers than the probe asks for is not an honest answer: unknown', () => {
    const rows = Array.from(
      { length: CONTAINER_EXIT_LIMIT + 1 },
      (_, i) => `${id(i + 1)} exited 2026-12-03T11:00:00Z ${i + 1} build`,
    );
    expect(() => exits([CLOCK, ...rows].join('\n'))).toThrow(
      `more than ${CONTAINER_EXIT_LIMIT} containers listed (${CONTAINER_EXIT_LIMIT + 1})`,
    );
    expect(exits([CLOCK, ...rows.slice(1)].join('\n')).exited).toBe(CONTAINER_EXIT_LIMIT);
  });

  it('a 100,000-character line is refused before any parsing, naming the bound', () => {
    const row = `${id(1)} exited 2026-12-03T11:00:00Z 1 ${'x'.repeat(100_000)}`;
    expect(() => exits(`${CLOCK}\n${row}`)).toThrow(`line longer than ${MAX_EXIT_LINE} characters`);
  });

  it('a 400-digit clock, job id or fraction is unknown or ignored, never a figure', () => {
    expect(() => exits(HUGE)).toThrow(/not unix seconds/);
    const report = exits(`${CLOCK}\n${id(1)} exited 2026-12-03T11:00:00Z ${HUGE} build`);
    expect(report.lastExit).toEqual({ ageMs: 3_600_000, jobId: null });
    expect(() => exits(`${CLOCK}\n${id(1)} exited 2026-12-03T11:00:00.${HUGE}Z 1 build`)).toThrow();
  });

  it('a "No such object" look-alike in stdout, or a huge stderr line, does not pass for a removed container', () => {
    expect(() => exits(`${CLOCK}\nError: No such object: ${id(2)}`)).toThrow(/unexpected line/);
    expect(() => exits(CLOCK, `Error: No such object: ${'a'.repeat(100_000)}`, 1)).toThrow(
      /exit status 1/,
    );
  });

  it('a type or label text with spaces cannot shift the fields', () => {
    const report = exits(`${CLOCK}\n${id(1)} exited 2026-12-03T11:30:00Z 7 cache but not really`);
    expect(report.lastExit).toEqual({ ageMs: 1_800_000, jobId: 7 });
  });
});
