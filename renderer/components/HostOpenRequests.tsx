import { useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import type { FleetSnapshot } from '../../shared/fleet';
import type { Proposal } from '../../shared/proposal';
import type { OpenTarget } from '../../shared/ui';
import { queryKeys } from '../api/queryKeys';
import { useTransport } from '../api/TransportProvider';
import { useOpenKillDialog } from './KillDialogProvider';

/** A machine the host asked to show; `seq` changes on every request, also for the same key. */
export interface MachineFocus {
  machineKey: string;
  seq: number;
}

const MachineFocusContext = createContext<MachineFocus | null>(null);

/** The machine the desktop app last asked to show (tray entry, notification), if any. */
export function useMachineFocus(): MachineFocus | null {
  return useContext(MachineFocusContext);
}

/**
 * Follows the desktop host's `rw:ui:open` requests: a proposal opens its confirm dialog
 * (which re-checks the machine before anything can be confirmed), a machine opens the
 * Fleet view on it, a source or the fleet opens the Fleet view. Inside the browser (HTTP
 * transport) there are no such requests and this only renders its children.
 */
export function HostOpenRequests(props: { children: ReactNode }) {
  const transport = useTransport();
  const queryClient = useQueryClient();
  const openKillDialog = useOpenKillDialog();
  const [focus, setFocus] = useState<MachineFocus | null>(null);

  useEffect(() => {
    if (!transport.onOpenRequest) return undefined;
    let seq = 0;
    const findProposal = async (id: string): Promise<Proposal | undefined> => {
      const cached = queryClient.getQueryData<FleetSnapshot>(queryKeys.fleetSnapshot());
      const known = cached?.proposals.find((p) => p.id === id);
      if (known) return known;
      const fresh = await transport.invoke('rw:reaper:proposals', {});
      return fresh.find((p) => p.id === id);
    };
    const onTarget = (target: OpenTarget) => {
      switch (target.kind) {
        case 'proposal':
          window.location.hash = '#proposals';
          void findProposal(target.proposalId).then((proposal) => {
            if (proposal) openKillDialog(proposal);
          });
          return;
        case 'machine':
          window.location.hash = '#fleet';
          seq += 1;
          setFocus({ machineKey: target.machineKey, seq });
          return;
        default:
          window.location.hash = '#fleet';
      }
    };
    return transport.onOpenRequest(onTarget);
  }, [transport, queryClient, openKillDialog]);

  return (
    <MachineFocusContext.Provider value={focus}>{props.children}</MachineFocusContext.Provider>
  );
}
