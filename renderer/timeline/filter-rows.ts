import type { TimelineRow } from '../../shared/timeline';

/**
 * Rows whose machine name or fleet, or any of whose jobs (name, project, ref, user, job
 * id), contains every word of the filter; all rows for an empty filter.
 */
export function filterRows(rows: readonly TimelineRow[], filter: string): readonly TimelineRow[] {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return rows;
  return rows.filter((row) => {
    const own = `${row.name} ${row.fleet ?? ''}`.toLowerCase();
    const texts = row.jobs.map((job) =>
      `${own} ${job.name ?? ''} ${job.projectPath ?? ''} ${job.ref ?? ''} ${job.user ?? ''} ${job.jobId}`.toLowerCase(),
    );
    if (texts.length === 0) texts.push(own);
    return texts.some((text) => words.every((word) => text.includes(word)));
  });
}
