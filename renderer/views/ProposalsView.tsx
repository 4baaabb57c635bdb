import { useMemo } from 'react';
import type { FleetSnapshot } from '../../shared/fleet';
import type { Proposal, ReaperMode } from '../../shared/proposal';
import { evidenceFacts, proposalHeadline, RULE_TEXT } from '../api/reaper-text';
import { useSwitchedModes } from '../api/useAudit';
import { useConnected, useFleet } from '../api/useFleet';
import { useModeOverrides, type ModeOverrides } from '../api/useReaper';
import { KillButton } from '../components/KillDialogProvider';
import { ModeSwitch } from '../components/ModeSwitch';
import { SnapshotGate } from '../components/SnapshotGate';
import { StateMessage } from '../components/StateMessage';
import { formatAgo } from '../format';
import { useNow } from '../hooks/useNow';

/** The state a person reads: a pending proposal that something blocks is "blocked". */
export function shownState(proposal: Proposal): string {
  return proposal.state === 'pending' && proposal.blocked.length > 0 ? 'blocked' : proposal.state;
}

interface FleetGroup {
  fleet: string;
  mode: ReaperMode | null;
  proposals: Proposal[];
  /** Consecutive samples the disk rule needs, when the host reports the fleet's policy. */
  samples: number | null;
}

/** Every fleet the snapshot knows, with its proposals and its mode as far as it is known. */
function groupByFleet(
  snapshot: FleetSnapshot,
  overrides: ModeOverrides,
  switched: ModeOverrides,
): FleetGroup[] {
  const fleets = new Set<string>();
  for (const machine of snapshot.machines) fleets.add(machine.fleet);
  for (const proposal of snapshot.proposals) fleets.add(proposal.fleet);
  for (const fleet of Object.keys(overrides)) fleets.add(fleet);
  for (const policy of snapshot.fleets ?? []) fleets.add(policy.id);
  const policies = new Map((snapshot.fleets ?? []).map((policy) => [policy.id, policy]));
  return [...fleets].sort().map((fleet) => {
    const proposals = snapshot.proposals.filter((p) => p.fleet === fleet);
    // The snapshot's policy is the mode in force; older hosts only tell it through proposals.
    const reported = policies.get(fleet)?.mode ?? proposals.find((p) => p.mode !== undefined)?.mode;
    return {
      fleet,
      proposals,
      mode: overrides[fleet] ?? reported ?? switched[fleet] ?? null,
      samples: policies.get(fleet)?.samples ?? null,
    };
  });
}

/** The reaper's proposals per fleet, with evidence, blockers, the mode switch and "Kill…". */
export function ProposalsView() {
  const fleet = useFleet();
  return (
    <div className="view proposals-view">
      <SnapshotGate fleet={fleet} what="the reaper's proposals">
        {(snapshot) => <ProposalsContent snapshot={snapshot} />}
      </SnapshotGate>
    </div>
  );
}

function ProposalsContent(props: { snapshot: FleetSnapshot }) {
  const now = useNow();
  const connected = useConnected();
  const overrides = useModeOverrides();
  const switched = useSwitchedModes().data;
  const groups = useMemo(
    () => groupByFleet(props.snapshot, overrides, switched ?? {}),
    [props.snapshot, overrides, switched],
  );

  if (groups.length === 0) {
    return (
      <StateMessage kind="empty" title="No fleets yet">
        <p>
          Runner Watch watches no fleet yet: add a Hetzner project or SSH host in the config file,
          then restart it. Proposals appear here when a reaper rule fires.
        </p>
      </StateMessage>
    );
  }
  const total = props.snapshot.proposals.length;
  return (
    <>
      <p className="toolbar count num" data-testid="proposal-count">
        {total === 0
          ? 'No proposals: no reaper rule fires on any machine right now.'
          : !connected
            ? `${total} proposal${total === 1 ? '' : 's'} as last reported; none can be confirmed while Runner Watch cannot be reached`
            : `${total} proposal${total === 1 ? '' : 's'}, ${props.snapshot.proposals.filter((p) => shownState(p) === 'pending').length} ready to confirm`}
      </p>
      <div className="view-scroll">
        {groups.map((group) => (
          <section
            key={group.fleet}
            className="fleet-group"
            aria-label={`Fleet ${group.fleet}`}
            data-testid="proposal-fleet"
            data-fleet={group.fleet}
          >
            <header className="fleet-group-head">
              <h2>{group.fleet}</h2>
              <ModeSwitch fleet={group.fleet} mode={group.mode} />
            </header>
            {group.proposals.length === 0 ? (
              <p className="muted" data-testid="no-proposals">
                No proposals for {group.fleet}: every machine is under the disk threshold, busy or
                young enough. Rules are evaluated after every probe.
              </p>
            ) : (
              <ul className="proposals">
                {group.proposals.map((proposal) => (
                  <ProposalItem
                    key={proposal.id}
                    proposal={proposal}
                    now={now}
                    samples={group.samples}
                  />
                ))}
              </ul>
            )}
          </section>
        ))}
      </div>
    </>
  );
}

function ProposalItem(props: { proposal: Proposal; now: number; samples: number | null }) {
  const { proposal } = props;
  const state = shownState(proposal);
  return (
    <li
      className="proposal"
      data-testid="proposal"
      data-machine={proposal.machineName}
      data-state={state}
      data-rule={proposal.rule}
    >
      <div className="proposal-head">
        <span className={`badge badge-p-${state}`} data-testid="proposal-state">
          {state}
        </span>
        <strong className="proposal-summary" title={proposal.summary}>
          {proposalHeadline(proposal)}
        </strong>
        <span className="muted small num" title="When the rule started to fire">
          since {formatAgo(proposal.createdAt, props.now)}
        </span>
        <KillButton proposal={proposal} />
      </div>
      <p className="small muted">
        Rule <strong>{proposal.rule}</strong>: {RULE_TEXT[proposal.rule]} · action {proposal.action}
      </p>
      <dl className="facts facts-inline">
        {evidenceFacts(proposal.evidence, props.samples).map((fact) => (
          <div key={fact.label}>
            <dt>{fact.label}</dt>
            <dd>{fact.text}</dd>
          </div>
        ))}
      </dl>
      {proposal.blocked.length > 0 ? (
        <ul className="blocked" aria-label="Blocked because" data-testid="blocked-reasons">
          {proposal.blocked.map((reason) => (
            <li key={reason}>{reason}</li>
          ))}
        </ul>
      ) : null}
      {proposal.lastResult ? (
        <p className="small" data-testid="last-result">
          Last attempt: {proposal.lastResult}
        </p>
      ) : null}
    </li>
  );
}
