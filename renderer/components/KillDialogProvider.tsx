import { createContext, useCallback, useContext, useState, type ReactNode } from 'react';
import type { Proposal } from '../../shared/proposal';
import { useConnected } from '../api/useFleet';
import { useNow } from '../hooks/useNow';
import { ConfirmKillDialog } from './ConfirmKillDialog';

type OpenKillDialog = (proposal: Proposal) => void;

const KillDialogContext = createContext<OpenKillDialog | null>(null);

/**
 * Hosts the one confirm dialog of the app above the views. It keeps the proposal it was
 * opened with, so a delta that removes the proposal (or the machine's row) while the
 * dialog shows its result does not close it.
 */
export function KillDialogProvider(props: { children: ReactNode }) {
  const [opened, setOpened] = useState<Proposal | null>(null);
  const close = useCallback(() => setOpened(null), []);
  return (
    <KillDialogContext.Provider value={setOpened}>
      {props.children}
      {opened ? <OpenDialog proposal={opened} onClose={close} /> : null}
    </KillDialogContext.Provider>
  );
}

/** The clock ticks only while the dialog is open. */
function OpenDialog(props: { proposal: Proposal; onClose: () => void }) {
  const now = useNow();
  return <ConfirmKillDialog proposal={props.proposal} now={now} onClose={props.onClose} />;
}

/** Opens the confirm dialog for a proposal (Proposals view, Fleet rows, tray entries). */
export function useOpenKillDialog(): OpenKillDialog {
  const open = useContext(KillDialogContext);
  if (!open) throw new Error('useOpenKillDialog outside KillDialogProvider');
  return open;
}

/** Proposals a person may open the confirm dialog for (the dialog re-checks first). */
export function canOpenConfirm(proposal: Proposal): boolean {
  return (
    proposal.state === 'pending' || proposal.state === 'refused' || proposal.state === 'failed'
  );
}

/**
 * "Kill…" (or "Clean up…") for a proposal a person may confirm; nothing otherwise. Fleet
 * rows with a pending proposal show it next to the machine.
 */
export function KillButton(props: { proposal: Proposal | null | undefined }) {
  const open = useOpenKillDialog();
  const connected = useConnected();
  const { proposal } = props;
  if (!proposal || !canOpenConfirm(proposal)) return null;
  const verb = proposal.action === 'cleanup' ? 'Clean up' : 'Kill';
  return (
    <button
      type="button"
      className="danger kill-button"
      // Nothing could be re-checked or confirmed while the host is unreachable.
      disabled={!connected}
      title={connected ? undefined : 'Runner Watch cannot be reached: confirm is disabled'}
      onClick={(event) => {
        // Inside a clickable row: open the dialog, not the row's details.
        event.stopPropagation();
        open(proposal);
      }}
      onKeyDown={(event) => event.stopPropagation()}
      aria-label={`${verb} ${proposal.machineName}…`}
      data-testid="kill-button"
    >
      {verb}…
    </button>
  );
}

/** The proposal per machine key that a Fleet row offers "Kill…" for. */
export function confirmableByMachine(proposals: readonly Proposal[]): Map<string, Proposal> {
  const out = new Map<string, Proposal>();
  for (const proposal of proposals)
    if (canOpenConfirm(proposal)) out.set(proposal.machineKey, proposal);
  return out;
}
