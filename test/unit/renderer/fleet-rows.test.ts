import { describe, expect, it } from 'vitest';
import { filterRows, sortRows, toRows } from '../../../renderer/fleet-rows';
import { formatAgo, formatBytes, formatSpan } from '../../../renderer/format';
import { disk, job, machine, NOW, seen, source } from './fixtures';

const sources = [source('hetzner:ci'), source('ssh:ci'), source('gitlab:main')];

describe('toRows', () => {
  it('merges GitLab jobs no container shows, and keeps unknown as null', () => {
    const [both, gitlabOnly, unknown] = toRows(
      [
        machine('a', {
          jobs: seen([job(1, 'g/a', 'x')]),
          gitlabJobs: seen([job(1, 'g/a', 'x'), job(2, 'g/b', 'y')]),
        }),
        machine('b', { jobs: seen(null), gitlabJobs: seen([job(3, 'g/c', null)]) }),
        machine('c', { jobs: seen(null), gitlabJobs: seen(null), disks: seen(null) }),
      ],
      sources,
      NOW,
    );
    expect(both?.jobs?.map((j) => j.jobId)).toEqual([1, 2]);
    expect(gitlabOnly?.jobs?.map((j) => j.jobId)).toEqual([3]);
    expect(unknown?.jobs).toBeNull();
    // Containers unknown and GitLab links nothing: unknown, not idle.
    const [notProbed] = toRows(
      [machine('d', { jobs: seen(null), gitlabJobs: seen([]) })],
      sources,
      NOW,
    );
    expect(notProbed?.jobs).toBeNull();
    expect(unknown?.maxDiskPct).toBeNull();
  });

  it('ages freshness by the oldest reading and names every stale field with its error', () => {
    const [row] = toRows(
      [
        machine('a', {
          status: seen('running', 1_000, 'hetzner:ci'),
          disks: { ...seen([disk('/', 5)], 100_000), error: 'ssh: host key mismatch' },
        }),
      ],
      sources,
      NOW,
    );
    expect(row?.freshness).toEqual({
      state: 'stale',
      observedAt: NOW - 100_000,
      staleFields: ['disks'],
      errors: ['ssh: host key mismatch'],
    });
  });

  it('says "never" when no field was read, keeping the errors', () => {
    const never = {
      value: null,
      observedAt: null,
      stale: true,
      error: 'unreachable',
      source: null,
    };
    const [row] = toRows(
      [machine('a', { status: never, disks: never, jobs: never, load: never })],
      sources,
      NOW,
    );
    expect(row?.freshness).toEqual({ state: 'never', errors: ['unreachable'] });
  });
});

describe('sortRows and filterRows', () => {
  const rows = toRows(
    [
      machine('runner-10', { disks: seen([disk('/', 50)]) }),
      machine('runner-9', { disks: seen([disk('/', 50), disk('/var/lib/docker', 70)]) }),
      machine('runner-2', { disks: seen(null) }),
    ],
    sources,
    NOW,
  );
  const names = (list: typeof rows) => list.map((row) => row.name);

  it('sorts names the way people count (runner-9 before runner-10)', () => {
    expect(names(sortRows(rows, { key: 'name', descending: false }))).toEqual([
      'runner-2',
      'runner-9',
      'runner-10',
    ]);
    expect(names(sortRows(rows, { key: 'name', descending: true }))).toEqual([
      'runner-10',
      'runner-9',
      'runner-2',
    ]);
  });

  it('sorts disks by the fullest mount, unknown last in both directions', () => {
    expect(names(sortRows(rows, { key: 'disk', descending: true }))).toEqual([
      'runner-9',
      'runner-10',
      'runner-2',
    ]);
    expect(names(sortRows(rows, { key: 'disk', descending: false }))).toEqual([
      'runner-10',
      'runner-9',
      'runner-2',
    ]);
  });

  it('keeps rows that contain every word, case-insensitively', () => {
    expect(names(filterRows(rows, '  RUNNER-1 '))).toEqual(['runner-10']);
    expect(names(filterRows(rows, 'hetzner runner-9'))).toEqual(['runner-9']);
    expect(names(filterRows(rows, 'hetzner nothing'))).toEqual([]);
    expect(filterRows(rows, '   ')).toBe(rows);
  });
});

describe('format', () => {
  it('formats ages and spans in the largest sensible unit', () => {
    expect(formatAgo(NOW - 400, NOW)).toBe('just now');
    expect(formatAgo(NOW - 12_400, NOW)).toBe('12 s ago');
    expect(formatAgo(NOW + 5_000, NOW)).toBe('just now');
    expect(formatSpan(4 * 60_000)).toBe('4 min');
    expect(formatSpan(3 * 3_600_000)).toBe('3 h');
    expect(formatSpan(3 * 3_600_000 + 5 * 60_000)).toBe('3 h 5 min');
    expect(formatSpan(50 * 3_600_000)).toBe('2 d 2 h');
  });

  it('formats bytes in binary units like df -h', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(80 * 2 ** 30)).toBe('80.0 GiB');
  });
});
