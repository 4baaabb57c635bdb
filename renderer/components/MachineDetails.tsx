import { useEffect, useRef, useState } from 'react';
import type { Machine, RunningJob } from '../../shared/machine';
import { formatAgo, formatBytes, formatLoad, formatSpan, formatTime } from '../format';
import type { MachineRow } from '../fleet-rows';
import { DISK_PCT_DEFINITION } from './DiskBars';
import { JobMetricsPanel } from './JobMetricsPanel';
import { jobLabel } from './JobsCell';
import type { Proposal } from '../../shared/proposal';
import { proposalHeadline, RULE_TEXT } from '../api/reaper-text';
import { KillButton } from './KillDialogProvider';
import { OrphanDetails } from './OrphanStatus';

/** The state a person reads: a pending proposal that something blocks is "blocked". */
function shownState(proposal: Proposal): string {
  return proposal.state === 'pending' && proposal.blocked.length > 0 ? 'blocked' : proposal.state;
}
import { removalText } from '../removal-text';
import { useAppInfo } from '../api/useFleet';

/** Everything known about one machine, with each reading's age and source. */
export function MachineDetails(props: {
  row: MachineRow;
  now: number;
  onClose: () => void;
  /** The reaper's current proposal for this machine, if any (blocked ones too). */
  proposal?: Proposal | undefined;
}) {
  const { machine } = props.row;
  const [metricsOf, setMetricsOf] = useState<RunningJob | null>(null);
  const { proposal } = props;
  const viewer = useAppInfo().data?.user;
  return (
    <aside
      className="details"
      aria-label={`Details of ${machine.name}`}
      data-testid="details"
      onKeyDown={(event) => {
        if (event.key === 'Escape') props.onClose();
      }}
    >
      <header>
        <h2>{machine.name}</h2>
        <button type="button" onClick={props.onClose} aria-label="Close details">
          ✕
        </button>
      </header>
      {proposal ? (
        <section className="details-proposal" aria-label="Proposal" data-testid="details-proposal">
          <h3>
            Proposed for {proposal.action === 'cleanup' ? 'cleanup' : 'removal'}{' '}
            <span className={`badge badge-p-${shownState(proposal)}`}>{shownState(proposal)}</span>
          </h3>
          <p>
            <strong>{proposalHeadline(proposal)}</strong>
          </p>
          <p className="small muted">
            Rule {proposal.rule}: {RULE_TEXT[proposal.rule]}; since{' '}
            {formatAgo(proposal.createdAt, props.now)}.
          </p>
          {proposal.blocked.length > 0 ? (
            <ul className="blocked" aria-label="Blocked because">
              {proposal.blocked.map((reason) => (
                <li key={reason}>{reason}</li>
              ))}
            </ul>
          ) : null}
          <KillButton proposal={proposal} />
        </section>
      ) : null}
      <OrphanDetails machine={machine} now={props.now} />
      <dl>
        <dt>Fleet</dt>
        <dd>
          {machine.fleet} · {machine.kind}
        </dd>
        <dt>Provider</dt>
        <dd>
          {machine.provider}
          {machine.providerId ? ` #${machine.providerId}` : ''}
          {machine.serverType ? ` · ${machine.serverType}` : ''}
          {machine.providerStatus ? ` · ${machine.providerStatus}` : ''}
        </dd>
        <dt>Addresses</dt>
        <dd>
          {machine.addresses.length > 0 ? (
            machine.addresses.join(', ')
          ) : (
            <span className="muted">none known</span>
          )}
        </dd>
        <dt>Created</dt>
        <dd>
          {machine.createdAt !== null ? (
            `${formatTime(machine.createdAt)} (${formatSpan(props.now - machine.createdAt)} ago)`
          ) : (
            <span className="muted">unknown</span>
          )}
        </dd>
        {machine.removed ? (
          <>
            <dt>Deleted</dt>
            <dd data-testid="details-removed">
              {removalText(machine.removed, viewer)} ({machine.removed.action},{' '}
              {formatTime(machine.removed.at)}); shown until every source stops listing it
            </dd>
          </>
        ) : null}
        <dt>Seen by</dt>
        <dd>{machine.seenBy.join(', ') || <span className="muted">no source</span>}</dd>
        {Object.keys(machine.labels).length > 0 ? (
          <>
            <dt>Labels</dt>
            <dd>
              {Object.entries(machine.labels)
                .map(([k, v]) => `${k}=${v}`)
                .join(', ')}
            </dd>
          </>
        ) : null}
      </dl>

      <h3>Disks</h3>
      <Reading field={machine.disks} now={props.now} />
      {machine.disks.value && machine.disks.value.length > 0 ? (
        <table className="mini">
          <thead>
            <tr>
              <th>Mount</th>
              <th title={DISK_PCT_DEFINITION}>Used %</th>
              <th>Used</th>
              <th>Available</th>
              <th>Size</th>
              <th>Inodes</th>
            </tr>
          </thead>
          <tbody>
            {machine.disks.value.map((disk) => (
              <tr key={disk.mount}>
                <td>{disk.mount}</td>
                <td className="num">{disk.usedPct} %</td>
                <td className="num">{formatBytes(disk.usedBytes)}</td>
                <td className="num">{formatBytes(disk.availBytes)}</td>
                <td className="num">{formatBytes(disk.sizeBytes)}</td>
                <td className="num">
                  {disk.inodesUsedPct !== null ? `${disk.inodesUsedPct} %` : '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <p className="muted small">
        {DISK_PCT_DEFINITION}; blocks reserved for root do not count as used.
      </p>
      <SourceReadings machine={machine} now={props.now} />

      <h3>Running jobs</h3>
      <Reading field={machine.jobs} now={props.now} />
      <JobList jobs={props.row.jobs} why={props.row.jobsUnknownWhy} onMetrics={setMetricsOf} />
      {metricsOf ? <JobMetricsDialog job={metricsOf} onClose={() => setMetricsOf(null)} /> : null}

      <h3>Load</h3>
      <Reading field={machine.load} now={props.now} />
      {machine.load.value ? (
        <p className="num">
          {formatLoad(machine.load.value.load1)} / {formatLoad(machine.load.value.load5)} /{' '}
          {formatLoad(machine.load.value.load15)}
          {machine.load.value.cpus !== null ? ` on ${machine.load.value.cpus} CPUs` : ''}
          {machine.load.value.memTotalBytes !== null &&
          machine.load.value.memAvailableBytes !== null
            ? ` · memory ${formatBytes(machine.load.value.memTotalBytes - machine.load.value.memAvailableBytes)} of ${formatBytes(machine.load.value.memTotalBytes)} used`
            : ''}
        </p>
      ) : null}
    </aside>
  );
}

function Reading(props: {
  field: Machine['disks'] | Machine['jobs'] | Machine['load'];
  now: number;
}) {
  const { field } = props;
  return (
    <p className="reading small">
      {field.observedAt !== null ? (
        <>
          read <span className="num">{formatAgo(field.observedAt, props.now)}</span>
          {field.source ? ` by ${field.source}` : ''}
          {field.stale ? <span className="stale-tag"> stale</span> : null}
        </>
      ) : (
        <span className="muted">never read</span>
      )}
      {field.error ? <span className="error-text"> · {field.error}</span> : null}
    </p>
  );
}

/**
 * What each source read when several read disks and load (SSH probe and Prometheus): the
 * freshest value with a value is the one shown above; both are listed here with their age.
 */
function SourceReadings(props: { machine: Machine; now: number }) {
  const readings = props.machine.readings ?? [];
  if (readings.length < 2) return null;
  return (
    <table className="mini" data-testid="source-readings" aria-label="Readings by source">
      <thead>
        <tr>
          <th>Source</th>
          <th title={DISK_PCT_DEFINITION}>Disks</th>
          <th>Load</th>
          <th>Read</th>
        </tr>
      </thead>
      <tbody>
        {readings.map((r) => (
          <tr key={r.source} className={r.source === props.machine.disks.source ? 'is-chosen' : ''}>
            <td>
              {r.source}
              {r.source === props.machine.disks.source ? ' (shown)' : ''}
            </td>
            <td className="num">
              {r.disks?.value ? (
                r.disks.value.map((d) => `${d.mount} ${d.usedPct} %`).join(', ')
              ) : r.disks?.error ? (
                <span className="error-text">{r.disks.error}</span>
              ) : (
                '—'
              )}
            </td>
            <td className="num">{r.load?.value ? formatLoad(r.load.value.load1) : '—'}</td>
            <td className="num">
              {r.disks?.observedAt != null ? formatAgo(r.disks.observedAt, props.now) : '—'}
              {r.disks?.stale ? <span className="stale-tag"> stale</span> : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The job metrics panel over the page, for a running job of this machine. */
function JobMetricsDialog(props: { job: RunningJob; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && typeof dialog.showModal === 'function' && !dialog.open) dialog.showModal();
  }, []);
  // The id, not the container's job URL: GitLab Runner writes the URL it was configured
  // with, which need not be the address the settings reach the instance at.
  const job = props.job.jobId;
  return (
    <dialog
      ref={ref}
      className="job-metrics-dialog"
      aria-label={`Metrics of job ${props.job.jobId}`}
      onClose={props.onClose}
      onKeyDown={(event) => event.stopPropagation()}
    >
      <JobMetricsPanel job={job} onClose={props.onClose} />
    </dialog>
  );
}

function JobList(props: {
  jobs: MachineRow['jobs'];
  why: MachineRow['jobsUnknownWhy'];
  onMetrics: (job: RunningJob) => void;
}) {
  if (props.jobs === null)
    return (
      <p className="muted" data-testid="details-jobs-unknown">
        Unknown: {props.why ?? "no source could read this machine's jobs"}.
      </p>
    );
  if (props.jobs.length === 0) return <p className="muted">No running job.</p>;
  return (
    <ul className="job-list">
      {props.jobs.map((job) => (
        <li key={job.jobId}>
          {job.jobUrl && /^https?:\/\//.test(job.jobUrl) ? (
            <a href={job.jobUrl} target="_blank" rel="noreferrer noopener">
              {jobLabel(job)}
            </a>
          ) : (
            jobLabel(job)
          )}
          <span className="muted small">
            {job.ref ? ` · ${job.ref}` : ''}
            {job.user ? ` · ${job.user}` : ''}
            {` · seen in ${job.seenIn.join(' and ')}`}
          </span>{' '}
          <button
            type="button"
            className="small"
            onClick={() => props.onMetrics(job)}
            aria-label={`Metrics of job ${job.jobId}`}
          >
            Metrics
          </button>
        </li>
      ))}
    </ul>
  );
}
