import type { Machine } from '../../shared/machine';
import type { Evidence, Proposal, ReaperRule } from '../../shared/proposal';
import { orphanCostAt } from '../../shared/orphan';
import { idleSinceText } from '../../shared/idle-since-text';
import { formatSpan } from '../format';

/** Each rule in words, as the dialog and the Proposals view name it. */
export const RULE_TEXT: Record<ReaperRule, string> = {
  disk: 'disk full: use at or over the threshold for consecutive samples',
  idle: 'idle: no job container and no running GitLab job for too long',
  'max-age': 'too old: older than the fleet’s maximum age',
  unreachable: 'unreachable while the provider says running',
  orphan: 'orphan: the provider lists it, no runner manager does, and no job ran on it for long',
};

/** The action in a few words, while the re-check has not said on what exactly. */
const ACTION_VERB: Record<Proposal['action'], string> = {
  'hcloud-delete': 'Delete the Hetzner server of',
  'machine-rm': 'docker-machine rm',
  cleanup: 'Clean up',
};

/** The id after `prefix:` of the first source in `seenBy` with that kind, e.g. `hetzner:ci` → `ci`. */
function sourceId(seenBy: readonly string[], kind: string): string | null {
  const found = seenBy.find((id) => id.startsWith(`${kind}:`));
  return found ? found.slice(kind.length + 1) : null;
}

/**
 * Exactly what confirming does, in the words of the command or call that will run:
 * "DELETE server 123 in Hetzner project sim-hcloud", "docker-machine rm -y NAME on …",
 * or the cleanup of a dedicated host. `machine` is the freshest reading, if any.
 */
export function describeAction(proposal: Proposal, machine: Machine | null): string {
  if (machine === null) return `${ACTION_VERB[proposal.action]} ${proposal.machineName}: checking…`;
  const seenBy = machine.seenBy;
  switch (proposal.action) {
    case 'hcloud-delete': {
      const project = sourceId(seenBy, 'hetzner');
      const server = machine.providerId ?? 'of unknown id';
      return `DELETE server ${server} (${proposal.machineName}) in Hetzner project ${project ?? 'unknown'}`;
    }
    case 'machine-rm': {
      const manager = sourceId(seenBy, 'docker-machine');
      return `docker-machine rm -y ${proposal.machineName} on the runner manager of ${manager ? `docker-machine source ${manager}` : `fleet ${proposal.fleet}`}`;
    }
    case 'cleanup':
      return `remove unused runner-* volumes and prune images older than the fleet’s bound (pruneImagesOlderThanHours) on ${proposal.machineName}; the host itself stays`;
  }
}

/**
 * The headline of a proposal, led by what made its rule fire: an idle VM is headlined
 * with how long it idled, not with its disk (the core's summary mixes both).
 */
export function proposalHeadline(proposal: Proposal): string {
  const { evidence } = proposal;
  const verb = proposal.action === 'cleanup' ? 'Clean up' : 'Kill';
  const disk =
    evidence.diskPct === null
      ? 'disk unknown'
      : `disk ${evidence.diskPct} %${evidence.diskMount ? ` on ${evidence.diskMount}` : ''}`;
  const idle = evidence.idleSinceMs === null ? null : `idle ${formatSpan(evidence.idleSinceMs)}`;
  const why = (() => {
    switch (proposal.rule) {
      case 'disk':
        return [disk, idle ?? 'no job running'].join(', ');
      case 'idle': {
        // The idle rule rests on how long: say what that counts from when it is not watched.
        const since = idleSinceText(evidence);
        return idle ? `${idle} with no job${since ? `, ${since}` : ''}` : 'idle with no job';
      }
      case 'max-age':
        return evidence.ageMs === null ? 'too old' : `${formatSpan(evidence.ageMs)} old`;
      case 'unreachable':
        return evidence.unreachableSince
          ? `unreachable since ${new Date(evidence.unreachableSince).toLocaleTimeString()}`
          : 'unreachable';
      case 'orphan':
        return orphanWhy(proposal);
    }
  })();
  if (proposal.rule === 'orphan') return `Delete orphan ${proposal.machineName} (${why})`;
  return `${verb} ${proposal.machineName} (${why})`;
}

/** An orphan's headline facts: no manager lists it, idle how long, what it cost so far. */
function orphanWhy(proposal: Proposal): string {
  const orphan = proposal.evidence.orphan;
  if (!orphan) return 'no runner manager lists it';
  const parts = ['no runner manager lists it'];
  const at = proposal.evidence.observedAt;
  if (orphan.noJobSince !== null && at !== null)
    parts.push(`no job for ${formatSpan(at - orphan.noJobSince)}`);
  const cost =
    at !== null ? orphanCostAt(orphan, proposal.serverCreatedAt ?? null, at) : orphan.costSoFar;
  if (cost !== null) parts.push(`${cost.toFixed(2)} ${orphan.currency ?? ''} so far`.trim());
  return parts.join(', ');
}

/**
 * One evidence fact per entry, as label and text; unknown values say "unknown".
 * `samplesNeeded` is the fleet's disk rule (samples in a row), when known.
 */
export function evidenceFacts(
  evidence: Evidence,
  samplesNeeded: number | null = null,
): { label: string; text: string }[] {
  const unknown = 'unknown';
  const facts = [
    {
      label: 'Disk',
      text:
        evidence.diskPct === null
          ? unknown
          : `${evidence.diskPct} %${evidence.diskMount ? ` on ${evidence.diskMount}` : ''}${evidence.thresholdPct !== undefined ? ` (threshold ${evidence.thresholdPct} %)` : ''}`,
    },
    {
      label: 'Over threshold',
      text:
        evidence.samplesOver === 0
          ? 'no sample at or over the threshold'
          : `last ${evidence.samplesOver} sample${evidence.samplesOver === 1 ? '' : 's'} in a row${samplesNeeded !== null ? ` (the rule needs ${samplesNeeded})` : ''}`,
    },
    {
      label: 'Idle for',
      text:
        evidence.idleSinceMs === null
          ? 'not idle or unknown'
          : `${formatSpan(evidence.idleSinceMs)}, ${idleSinceText(evidence) ?? 'as watched'}`,
    },
    {
      label: 'Containers',
      text:
        evidence.runningContainers === null
          ? unknown
          : `${evidence.runningContainers} job container${evidence.runningContainers === 1 ? '' : 's'} running`,
    },
    {
      label: 'Jobs',
      text:
        evidence.runningJobIds.length === 0
          ? 'none running'
          : evidence.runningJobIds
              .map(
                (id) => `#${id}${evidence.expendableJobIds?.includes(id) ? ' (expendable)' : ''}`,
              )
              .join(', '),
    },
    { label: 'Age', text: evidence.ageMs === null ? unknown : formatSpan(evidence.ageMs) },
  ];
  if (evidence.providerStatus) facts.push({ label: 'Provider', text: evidence.providerStatus });
  const orphan = evidence.orphan;
  if (orphan) {
    facts.push({
      label: 'Runner managers',
      text: `not listed by ${orphan.managers.join(' or ')}`,
    });
    facts.push({
      label: 'Cost so far',
      text:
        orphan.costSoFar === null
          ? `${unknown} (${orphan.unpricedReason ?? 'unpriced'})`
          : `${orphan.costSoFar.toFixed(2)} ${orphan.currency ?? ''} (${orphan.perHour?.toFixed(4) ?? '?'} per hour)`.trim(),
    });
    for (const reason of [...orphan.notYet, ...orphan.unknown])
      facts.push({ label: 'Not proven', text: reason });
  }
  return facts;
}

/**
 * Why the fresh re-check differs from the proposal the person opened, or null when it is
 * the same proposal and nothing blocks it. Every reason is listed.
 */
export function recheckProblems(
  opened: Proposal,
  fresh: Proposal | null,
  executable: boolean,
): string[] {
  if (fresh === null) return ['no rule fires on this machine any more: nothing to do'];
  const problems: string[] = [];
  if (fresh.id !== opened.id)
    problems.push(`the fresh check made a different proposal (${fresh.rule}: ${fresh.summary})`);
  if (fresh.state === 'done' || fresh.state === 'executing' || fresh.state === 'confirmed')
    problems.push(`the proposal is already ${fresh.state}`);
  problems.push(...fresh.blocked.map((reason) => `blocked: ${reason}`));
  if (!executable && problems.length === 0) problems.push('the fresh check does not allow it');
  return problems;
}
