import { MAX_MENU_MACHINES, type TrayState } from './tray-state';

/**
 * One entry of the tray's context menu, as data: the adapter maps each kind to an
 * Electron menu item and a callback, and decides nothing itself.
 */
export type TrayMenuEntry =
  | { kind: 'open'; label: string }
  /** "Check now": one collection cycle at once; disabled while one runs. */
  | { kind: 'check'; label: string; enabled: boolean }
  | { kind: 'heading'; label: string }
  | { kind: 'machine'; label: string; machineKey: string }
  | { kind: 'proposal'; label: string; proposalId: string }
  | { kind: 'pause'; label: string }
  | { kind: 'resume'; label: string }
  | { kind: 'quit'; label: string }
  | { kind: 'separator' };

/**
 * The context menu for a tray state: open, check now (disabled while a check runs), the fullest machines (each opens the window on
 * it), proposals waiting for a person (each opens the confirm dialog), pause or resume,
 * quit. Headings are disabled labels that say what the group is.
 */
export function trayMenuModel(state: TrayState): TrayMenuEntry[] {
  const entries: TrayMenuEntry[] = [
    { kind: 'open', label: 'Open Runner Watch' },
    state.checking
      ? { kind: 'check', label: 'Checking now…', enabled: false }
      : { kind: 'check', label: 'Check now', enabled: true },
  ];
  if (state.machines.length > 0) {
    const more = state.counts.machines - state.machines.length;
    entries.push(
      { kind: 'separator' },
      {
        kind: 'heading',
        label:
          more > 0
            ? `Fullest disks (${MAX_MENU_MACHINES} of ${state.counts.machines})`
            : 'Fullest disks',
      },
      ...state.machines.flatMap((m): TrayMenuEntry[] =>
        m.machineKey ? [{ kind: 'machine', label: m.label, machineKey: m.machineKey }] : [],
      ),
    );
  }
  if (state.proposals.length > 0) {
    entries.push(
      { kind: 'separator' },
      {
        kind: 'heading',
        label:
          state.counts.pendingProposals > state.proposals.length
            ? `Waiting for confirmation (${state.proposals.length} of ${state.counts.pendingProposals})`
            : 'Waiting for confirmation',
      },
      ...state.proposals.flatMap((p): TrayMenuEntry[] =>
        p.proposalId ? [{ kind: 'proposal', label: p.label, proposalId: p.proposalId }] : [],
      ),
    );
  }
  entries.push(
    { kind: 'separator' },
    state.paused
      ? { kind: 'resume', label: 'Resume monitoring' }
      : { kind: 'pause', label: 'Pause monitoring' },
    { kind: 'quit', label: 'Quit Runner Watch' },
  );
  return entries;
}
