import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import type { Transport } from './api/transport';
import { TransportProvider } from './api/TransportProvider';
import { useAppInfo } from './api/useFleet';
import { FleetView } from './views/FleetView';

/** The app shell: providers, header and the Fleet view. Transport and client come from main.tsx (or a test). */
export function App(props: { transport: Transport; queryClient: QueryClient }) {
  return (
    <QueryClientProvider client={props.queryClient}>
      <TransportProvider transport={props.transport}>
        <div className="app">
          <Header />
          <main>
            <FleetView />
          </main>
        </div>
      </TransportProvider>
    </QueryClientProvider>
  );
}

function Header() {
  const info = useAppInfo();
  return (
    <header className="app-header">
      <h1>Runner Watch</h1>
      <nav aria-label="Views">
        <span className="tab is-active" aria-current="page">
          Fleet
        </span>
      </nav>
      {info.data ? (
        <span className="app-info muted small">
          {info.data.demo ? <span className="badge badge-demo">demo</span> : null} v
          {info.data.version} · {info.data.host}
        </span>
      ) : null}
      {info.data && info.data.warnings.length > 0 ? (
        <ul className="warnings" role="alert" aria-label="Host warnings">
          {info.data.warnings.map((warning) => (
            <li key={warning}>{warning}</li>
          ))}
        </ul>
      ) : null}
    </header>
  );
}
