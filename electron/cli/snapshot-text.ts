import type { FleetSnapshot } from '../../shared/fleet';
import type { Machine } from '../../shared/machine';

/** A plain-text table of a snapshot for `scan` without --json. Unknown is `?`, never 0. */
export function formatSnapshotText(snapshot: FleetSnapshot): string[] {
  const rows: string[][] = [['FLEET', 'MACHINE', 'STATUS', 'DISK', 'JOBS', 'LOAD', 'SEEN BY']];
  const machines = [...snapshot.machines].sort((a, b) => a.key.localeCompare(b.key));
  for (const m of machines) {
    rows.push([
      m.fleet,
      m.name,
      `${m.status.value ?? '?'}${m.status.stale ? ' (stale)' : ''}`,
      disk(m),
      m.jobs.value === null ? '?' : String(m.jobs.value.length),
      m.load.value === null ? '?' : m.load.value.load1.toFixed(2),
      m.seenBy.join(','),
    ]);
  }
  const lines = machines.length === 0 ? ['no machines found'] : table(rows);
  lines.push('');
  lines.push('SOURCES');
  for (const s of snapshot.sources) {
    const state = s.lastError ? `${s.state}: ${s.lastError.code}: ${s.lastError.message}` : s.state;
    const took = s.lastDurationMs === null ? '' : ` (${s.lastDurationMs} ms)`;
    lines.push(`  ${s.id}  ${state}${took}`);
    for (const warning of s.warnings) lines.push(`    warning: ${warning}`);
  }
  if (snapshot.sources.length === 0) lines.push('  none configured');
  return lines;
}

function disk(m: Machine): string {
  if (m.disks.value === null) return '?';
  if (m.disks.value.length === 0) return '-';
  return m.disks.value.map((d) => `${d.mount} ${d.usedPct}%`).join(' ');
}

function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) =>
    row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '),
  );
}
