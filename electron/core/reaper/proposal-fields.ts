import type { Proposal } from '../../../shared/proposal';

/** What names a proposal in the audit log and in the in-flight state. */
export interface ProposalFields {
  fleet: string;
  machineKey: string;
  machineName: string;
  proposalId: string;
  rule: Proposal['rule'];
  action: Proposal['action'];
}

/** The fields every audit record and in-flight entry about a proposal carries. */
export function proposalFields(proposal: Proposal): ProposalFields {
  return {
    fleet: proposal.fleet,
    machineKey: proposal.machineKey,
    machineName: proposal.machineName,
    proposalId: proposal.id,
    rule: proposal.rule,
    action: proposal.action,
  };
}
