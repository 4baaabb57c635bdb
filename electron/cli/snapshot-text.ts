import type { FleetSnapshot } from '../../shared/fleet';
import type { Machine } from '../../shared/machine';
import { roughSpan } from '../../shared/orphan';

/** A plain-text table of a snapshot for `scan` without --json. Unknown is `?`, never 0. */
export function formatSnapshotText(snapshot: FleetSnapshot): string[] {
  const rows: string[][] = [['FLEET', 'MACHINE', 'STATUS', 'DISK', 'JOBS', 'LOAD', 'SEEN BY']];
  const machines = [...snapshot.machines].sort((a, b) => a.key.localeCompare(b.key));
  for (const m of machines) {
    rows.push([
      m.fleet,
      m.name,
      `${m.status.value ?? '?'}${m.status.stale ? ' (stale)' : ''}${m.orphan?.state === 'orphan' ? ' orphan' : ''}`,
      disk(m),
      m.jobs.value === null ? '?' : String(m.jobs.value.length),
      m.load.value === null ? '?' : m.load.value.load1.toFixed(2),
      m.seenBy.join(','),
    ]);
  }
  const lines = machines.length === 0 ? ['no machines found'] : table(rows);
  lines.push(...orphanLines(machines, snapshot.generatedAt));
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

/**
 * Servers no runner manager lists: orphans with their age and cost so far, and the
 * unlisted ones with why they are not called orphans (yet).
 */
function orphanLines(machines: readonly Machine[], now: number): string[] {
  const unlisted = machines.filter((m) => m.orphan);
  if (unlisted.length === 0) return [];
  const lines = ['', 'ORPHANS (servers no runner manager lists)'];
  for (const m of unlisted) {
    const o = m.orphan!;
    const facts: string[] = [o.state];
    if (m.createdAt !== null) facts.push(`age ${roughSpan(now - m.createdAt)}`);
    if (o.noJobSince !== null) facts.push(`no job for ${roughSpan(now - o.noJobSince)}`);
    if (o.perHour !== null && o.costSoFar !== null)
      facts.push(
        `${o.costSoFar.toFixed(2)} ${o.currency ?? ''} so far (${o.perHour.toFixed(4)}/h)`,
      );
    else facts.push(`cost unknown: ${o.unpricedReason ?? 'unpriced'}`);
    lines.push(`  ${m.name}  ${facts.join(', ')}`);
    lines.push(`    not listed by ${o.managers.join(' or ')}`);
    for (const why of [...o.notYet, ...o.unknown]) lines.push(`    not an orphan yet: ${why}`);
  }
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
