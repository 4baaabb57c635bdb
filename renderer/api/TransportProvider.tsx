import { createContext, useContext, type ReactNode } from 'react';
import type { Transport } from './transport';

const TransportContext = createContext<Transport | null>(null);

/** Makes the chosen transport available to the hooks of renderer/api. */
export function TransportProvider(props: { transport: Transport; children: ReactNode }) {
  return (
    <TransportContext.Provider value={props.transport}>{props.children}</TransportContext.Provider>
  );
}

/** The transport; hooks use this instead of touching `window` (STYLE.md §5). */
export function useTransport(): Transport {
  const transport = useContext(TransportContext);
  if (!transport) throw new Error('useTransport outside TransportProvider');
  return transport;
}
