import type { AuditRecord } from '../../../shared/audit';
import type { Machine } from '../../../shared/machine';
import type { Proposal } from '../../../shared/proposal';
import type { RunnerJob } from '../../../shared/runner';
import type { FleetSettings } from '../../../shared/settings';
import type {
  JobMetricsAvailability,
  Timeline,
  TimelineDiskSample,
  TimelineJob,
  TimelineJobStatus,
  TimelineMark,
  TimelineRow,
} from '../../../shared/timeline';

/** Everything the timeline is built from; the service gathers it, this only decides. */
export interface TimelineInput {
  from: number;
  to: number;
  now: number;
  machines: readonly Machine[];
  fleets: readonly FleetSettings[];
  /** Recent jobs of every GitLab instance (running and finished). */
  jobs: readonly RunnerJob[];
  /** Disk samples of a machine key overlapping the window. */
  disk(machineKey: string): TimelineDiskSample[];
  /** Audit records of the window (any order). */
  audit: readonly AuditRecord[];
  proposals: readonly Proposal[];
  jobMetrics(fleet: FleetSettings): JobMetricsAvailability;
  jobsSince: number | null;
  diskSince: number | null;
  diskBucketMs: number;
  warnings: string[];
}

/** Key of the row for jobs whose machine is not known. */
export const UNPLACED_KEY = 'unplaced';

/** GitLab's status words grouped the way the timeline draws them. */
export function statusGroup(status: string): TimelineJobStatus {
  switch (status) {
    case 'success':
      return 'success';
    case 'failed':
      return 'failed';
    case 'running':
      return 'running';
    case 'canceled':
    case 'canceling':
      return 'canceled';
    default:
      return 'other';
  }
}

function markOf(record: AuditRecord): TimelineMark | null {
  const rule = record.rule ? ` (${record.rule} rule)` : '';
  const first = record.reasons[0] ?? record.detail ?? '';
  const tail = first ? `: ${first}` : '';
  let kind: TimelineMark['kind'] | null = null;
  let verb = '';
  if (record.type === 'result' && record.outcome === 'ok') {
    kind = record.action === 'cleanup' ? 'cleaned' : 'killed';
    verb = record.action === 'cleanup' ? 'cleaned up' : 'killed';
  } else if (record.type === 'result' && record.outcome === 'failed') {
    kind = 'failed';
    verb = `${record.action ?? 'action'} failed`;
  } else if (record.type === 'refusal') {
    kind = 'refused';
    verb = 'refused';
  } else if (record.type === 'dry-run') {
    kind = 'dry-run';
    verb = `dry run: would ${record.action ?? 'act'}`;
  }
  if (kind === null) return null;
  return { at: record.at, kind, proposalId: record.proposalId, text: `${verb}${rule}${tail}` };
}

/**
 * Builds the timeline of a window: one row per known machine, rows for machines only a job
 * trace or the audit log still names (`gone`), and an `unplaced` row for jobs no machine
 * could be found for — a job is never dropped for lack of a machine. A job is placed by its
 * trace (`via <machine>`, matched by machine name) first, then by the job container seen on
 * a machine (`docker ps` labels). Jobs that never started have no bar and are left out.
 */
export function buildTimeline(input: TimelineInput): Timeline {
  const { from, to, now } = input;
  const rows = new Map<string, TimelineRow>();
  const byName = new Map<string, Machine>();
  const byContainerJob = new Map<number, Machine>();
  const sorted = [...input.machines].sort(
    (a, b) => a.fleet.localeCompare(b.fleet) || a.name.localeCompare(b.name),
  );
  for (const machine of sorted) {
    if (!byName.has(machine.name)) byName.set(machine.name, machine);
    for (const job of machine.jobs.value ?? []) byContainerJob.set(job.jobId, machine);
    rows.set(machine.key, {
      key: machine.key,
      kind: 'machine',
      name: machine.name,
      fleet: machine.fleet,
      state: machine.status.value,
      jobs: [],
      disk: input.disk(machine.key),
      marks: [],
    });
  }
  const gone = new Map<string, TimelineRow>();
  const goneRow = (name: string, fleet: string | null): TimelineRow => {
    const key = `gone:${name}`;
    let row = gone.get(key);
    if (!row) {
      row = { key, kind: 'gone', name, fleet: null, state: null, jobs: [], disk: [], marks: [] };
      gone.set(key, row);
    }
    if (row.fleet === null && fleet !== null) {
      row.fleet = fleet;
      row.disk = input.disk(`${fleet}/${name}`);
    }
    return row;
  };
  const unplaced: TimelineRow = {
    key: UNPLACED_KEY,
    kind: 'unplaced',
    name: 'Unplaced jobs',
    fleet: null,
    state: null,
    jobs: [],
    disk: [],
    marks: [],
  };

  const seen = new Set<string>();
  for (const job of input.jobs) {
    if (seen.has(job.key)) continue;
    seen.add(job.key);
    if (job.startedAt === null) continue;
    const end = job.finishedAt ?? now;
    if (job.startedAt > to || end < from) continue;
    const traced = job.machine === null ? undefined : byName.get(job.machine);
    const container = byContainerJob.get(job.jobId);
    let row: TimelineRow;
    let placedBy: TimelineJob['placedBy'];
    if (traced) {
      row = rows.get(traced.key) ?? unplaced;
      placedBy = 'trace';
    } else if (container) {
      row = rows.get(container.key) ?? unplaced;
      placedBy = 'container';
    } else if (job.machine !== null) {
      row = goneRow(job.machine, null);
      placedBy = 'trace';
    } else {
      row = unplaced;
      placedBy = 'none';
    }
    row.jobs.push({
      key: job.key,
      instance: job.instance,
      jobId: job.jobId,
      name: job.name,
      status: statusGroup(job.status),
      gitlabStatus: job.status,
      projectPath: job.projectPath,
      pipelineId: job.pipelineId,
      ref: job.ref,
      user: job.user,
      startedAt: job.startedAt,
      finishedAt: job.finishedAt,
      webUrl: job.jobUrl,
      placedBy,
    });
  }

  const rowOfMark = (
    machineKey: string | null,
    machineName: string | null,
    fleet: string | null,
  ) => {
    if (machineKey !== null) {
      const known = rows.get(machineKey);
      if (known) return known;
    }
    const name = machineName ?? machineKey?.split('/').slice(1).join('/') ?? null;
    if (name === null || name === '') return null;
    const byKnownName = byName.get(name);
    if (byKnownName) return rows.get(byKnownName.key) ?? null;
    return goneRow(name, fleet);
  };
  for (const record of input.audit) {
    if (record.at < from || record.at > to) continue;
    const mark = markOf(record);
    if (!mark) continue;
    rowOfMark(record.machineKey, record.machineName, record.fleet)?.marks.push(mark);
  }
  for (const proposal of input.proposals) {
    if (proposal.state !== 'pending' || proposal.createdAt > to) continue;
    rowOfMark(proposal.machineKey, proposal.machineName, proposal.fleet)?.marks.push({
      // A proposal still pending is drawn from when it was made, or the window's start.
      at: Math.max(proposal.createdAt, from),
      kind: 'proposed',
      proposalId: proposal.id,
      text:
        proposal.blocked.length > 0
          ? `${proposal.summary} — blocked: ${proposal.blocked[0] ?? ''}`
          : proposal.summary,
    });
  }

  const result: TimelineRow[] = [
    ...rows.values(),
    ...[...gone.values()].sort((a, b) => a.name.localeCompare(b.name)),
  ];
  if (unplaced.jobs.length > 0) result.push(unplaced);
  for (const row of result) {
    row.jobs.sort((a, b) => a.startedAt - b.startedAt || a.jobId - b.jobId);
    row.marks.sort((a, b) => a.at - b.at);
  }
  return {
    from,
    to,
    generatedAt: now,
    rows: result,
    fleets: input.fleets.map((fleet) => ({
      id: fleet.id,
      name: fleet.name ?? null,
      warnPct: fleet.warnPct,
      thresholdPct: fleet.reaper.diskThresholdPct,
      jobMetrics: input.jobMetrics(fleet),
    })),
    jobsSince: input.jobsSince,
    diskSince: input.diskSince,
    diskBucketMs: input.diskBucketMs,
    warnings: input.warnings,
  };
}
