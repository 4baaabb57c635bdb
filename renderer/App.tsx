import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import type { Transport } from './api/transport';
import { TransportProvider } from './api/TransportProvider';
import { FleetStreamProvider, useAppInfo } from './api/useFleet';
import { ConnectionBanner } from './components/ConnectionBanner';
import { FleetSummaryBar } from './components/FleetSummaryBar';
import { HostOpenRequests } from './components/HostOpenRequests';
import { KillDialogProvider } from './components/KillDialogProvider';
import { CurrentView, useHashView, ViewTabs, type ViewName } from './components/ViewTabs';

/** The app shell: providers, header with the view tabs, and the active view. Transport and client come from main.tsx (or a test). */
export function App(props: { transport: Transport; queryClient: QueryClient }) {
  const view = useHashView();
  return (
    <QueryClientProvider client={props.queryClient}>
      <TransportProvider transport={props.transport}>
        <FleetStreamProvider>
          <KillDialogProvider>
            <HostOpenRequests>
              <div className="app">
                <Header view={view} />
                <main>
                  <ConnectionBanner />
                  <CurrentView view={view} />
                </main>
              </div>
            </HostOpenRequests>
          </KillDialogProvider>
        </FleetStreamProvider>
      </TransportProvider>
    </QueryClientProvider>
  );
}

function Header(props: { view: ViewName }) {
  const info = useAppInfo();
  return (
    <header className="app-header">
      <h1>Runner Watch</h1>
      <ViewTabs view={props.view} />
      <FleetSummaryBar />
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
