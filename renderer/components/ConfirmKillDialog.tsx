import { useEffect, useId, useRef, useState } from 'react';
import type { Proposal } from '../../shared/proposal';
import { describeAction, evidenceFacts, recheckProblems, RULE_TEXT } from '../api/reaper-text';
import { useFleetPolicy } from '../api/useFleet';
import { useConfirmKill, useRecheck } from '../api/useReaper';
import { formatAgo } from '../format';

const FOCUSABLE =
  'button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), [tabindex]:not([tabindex="-1"])';

/**
 * The confirm dialog of a reaper proposal. Opening it re-checks the machine now and shows
 * the fresh evidence; confirm stays disabled until that check passes, and is disabled for
 * good when the fresh proposal differs or is blocked. Modal: focus stays inside, Escape
 * closes, focus returns to where it was.
 */
export function ConfirmKillDialog(props: { proposal: Proposal; now: number; onClose: () => void }) {
  const { proposal, onClose } = props;
  const titleId = useId();
  const dialogRef = useRef<HTMLDivElement>(null);
  const recheck = useRecheck(proposal.id);
  const confirm = useConfirmKill();
  const samplesNeeded = useFleetPolicy(proposal.fleet)?.samples ?? null;
  // The unreachable rule: a person states that the job state on the machine is unknown.
  const needsAcknowledgement = proposal.acknowledge === 'unknown-job-state';
  const [acknowledged, setAcknowledged] = useState(false);

  useEffect(() => {
    const previous = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    dialogRef.current?.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    return () => previous?.focus();
  }, []);

  // On the document, not the dialog: a button that becomes disabled (confirm, once clicked)
  // drops the focus to <body>, and Escape and Tab must still work from there.
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      const dialog = dialogRef.current;
      if (!dialog) return;
      if (event.key === 'Escape') {
        event.preventDefault();
        event.stopPropagation();
        onClose();
        return;
      }
      if (event.key !== 'Tab') return;
      const items = [...dialog.querySelectorAll<HTMLElement>(FOCUSABLE)];
      const first = items[0];
      const last = items[items.length - 1];
      if (!first || !last) return;
      const inside = dialog.contains(document.activeElement);
      if (!inside || (event.shiftKey && document.activeElement === first)) {
        event.preventDefault();
        (event.shiftKey ? last : first).focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first.focus();
      }
    };
    document.addEventListener('keydown', onKeyDown, true);
    return () => document.removeEventListener('keydown', onKeyDown, true);
  }, [onClose]);

  const fresh = recheck.data;
  const problems = fresh ? recheckProblems(proposal, fresh.proposal, fresh.executable) : [];
  const shown = fresh?.proposal ?? proposal;
  const canConfirm =
    fresh !== undefined &&
    fresh.executable &&
    problems.length === 0 &&
    confirm.status === 'idle' &&
    (!needsAcknowledgement || acknowledged);
  const result = confirm.data;
  const settled = confirm.isSuccess || confirm.isError;
  useEffect(() => {
    // The confirm button is disabled now; keep the focus in the dialog, on "Close".
    if (settled) dialogRef.current?.querySelector<HTMLElement>('[data-autofocus]')?.focus();
  }, [settled]);

  return (
    <div className="dialog-backdrop">
      <div
        ref={dialogRef}
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        data-testid="confirm-dialog"
      >
        <header>
          <h2 id={titleId}>
            {proposal.action === 'cleanup' ? 'Clean up' : 'Kill'} {proposal.machineName}?
          </h2>
          <button type="button" aria-label="Close dialog" onClick={onClose}>
            ✕
          </button>
        </header>

        <p className="dialog-rule">
          Rule: <strong>{proposal.rule}</strong> — {RULE_TEXT[proposal.rule]}. Fleet{' '}
          <code>{proposal.fleet}</code>.
        </p>

        <section
          aria-label="Fresh evidence"
          className="dialog-evidence"
          data-testid="fresh-evidence"
        >
          <h3>Fresh evidence</h3>
          {recheck.isPending ? (
            <p role="status" data-testid="rechecking">
              <span className="spinner" aria-hidden="true" /> Re-checking {proposal.machineName}{' '}
              now…
            </p>
          ) : recheck.isError ? (
            <p role="alert" className="error-text" data-testid="recheck-error">
              The re-check failed: {recheck.error.message}. Nothing was done; close and try again.
            </p>
          ) : fresh ? (
            <>
              <p className="small muted" data-testid="recheck-at">
                Read just now
                {shown.evidence.observedAt !== null
                  ? ` (readings from ${formatAgo(shown.evidence.observedAt, props.now)})`
                  : ''}
                .
              </p>
              <dl className="facts">
                {evidenceFacts(shown.evidence, samplesNeeded).map((fact) => (
                  <div key={fact.label}>
                    <dt>{fact.label}</dt>
                    <dd>{fact.text}</dd>
                  </div>
                ))}
              </dl>
              {problems.length > 0 ? (
                <div role="alert" className="dialog-problems" data-testid="recheck-problems">
                  <strong>Cannot confirm: the fresh check differs or is blocked.</strong>
                  <ul>
                    {problems.map((problem) => (
                      <li key={problem}>{problem}</li>
                    ))}
                  </ul>
                </div>
              ) : (
                <p className="ok-text" data-testid="recheck-ok">
                  The fresh check confirms the proposal; nothing blocks it.
                </p>
              )}
            </>
          ) : null}
        </section>

        <section aria-label="What will happen" className="dialog-action">
          <h3>What will happen</h3>
          <p data-testid="action-text">
            <code>
              {recheck.isError
                ? 'Nothing: the re-check failed, so there is nothing to confirm.'
                : describeAction(proposal, fresh?.machine ?? null)}
            </code>
          </p>
          <p className="small muted">
            The executor re-checks once more right before acting and refuses if anything changed.
            Every step is written to the audit log.
          </p>
        </section>

        {needsAcknowledgement ? (
          <label className="dialog-acknowledge" data-testid="acknowledge-unknown">
            <input
              type="checkbox"
              checked={acknowledged}
              onChange={(event) => setAcknowledged(event.target.checked)}
              disabled={confirm.status !== 'idle'}
            />{' '}
            I understand: the job state on the machine is unknown (it cannot be probed; GitLab shows
            no job on it).
          </label>
        ) : null}

        {confirm.isError ? (
          <p role="alert" className="error-text" data-testid="confirm-error">
            Confirm failed: {confirm.error.message}
          </p>
        ) : null}
        {result ? (
          <div
            role="status"
            className={`dialog-result result-${result.outcome}`}
            data-testid="confirm-result"
            data-outcome={result.outcome}
          >
            <strong>{outcomeText(result.outcome)}</strong>
            {result.detail ? <p>{result.detail}</p> : null}
            {result.reasons.length > 0 ? (
              <ul>
                {result.reasons.map((reason) => (
                  <li key={reason}>{reason}</li>
                ))}
              </ul>
            ) : null}
            <p className="small muted">The Audit view has the record.</p>
          </div>
        ) : null}

        <footer>
          <button type="button" onClick={onClose} data-autofocus>
            {result ? 'Close' : 'Cancel'}
          </button>
          <button
            type="button"
            className="danger"
            disabled={!canConfirm}
            onClick={() =>
              confirm.mutate(
                needsAcknowledgement
                  ? { proposalId: proposal.id, acknowledgeUnknownJobState: acknowledged }
                  : proposal.id,
              )
            }
            data-testid="confirm-button"
          >
            {confirm.isPending
              ? 'Working…'
              : proposal.action === 'cleanup'
                ? 'Confirm cleanup'
                : 'Confirm kill'}
          </button>
        </footer>
      </div>
    </div>
  );
}

function outcomeText(outcome: string): string {
  switch (outcome) {
    case 'ok':
      return 'Done.';
    case 'refused':
      return 'Refused — nothing was done:';
    case 'failed':
      return 'Failed:';
    case 'dry-run':
      return 'Dry run: recorded what would have been done, nothing was touched.';
    default:
      return 'Interrupted: the action did not finish; the audit log says how far it got.';
  }
}
