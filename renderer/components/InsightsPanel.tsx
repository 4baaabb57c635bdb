import { useState } from 'react';
import { useAlerts, useAlertsFollowFleet } from '../api/useAlerts';
import { useTallWindow } from '../hooks/useTallWindow';
import { insightsOpen, readFoldChoice, windowStorage, writeFoldChoice } from '../insights-fold';
import { AlertsPanel } from './AlertsPanel';
import { CostPanel } from './CostPanel';
import { QueuePanel } from './QueuePanel';

type Tab = 'alerts' | 'cost' | 'queue';

/**
 * Alerts, cost and queue health under the machine grid, one at a time in a strip of its
 * own height, folded to its tab bar on short windows so the grid keeps its room.
 */
export function InsightsPanel() {
  const [tab, setTab] = useState<Tab>('alerts');
  // Folded on short windows unless the person opened it (or folded it on a tall one); the
  // choice is kept for the next start.
  const tall = useTallWindow();
  const [choice, setChoice] = useState<boolean | null>(() => readFoldChoice(windowStorage()));
  const open = insightsOpen(choice, tall);
  const setOpen = (next: boolean) => {
    setChoice(next);
    writeFoldChoice(windowStorage(), next);
  };
  useAlertsFollowFleet();
  const alerts = useAlerts();
  const loud = alerts.data?.raised.filter((a) => a.quiet === null).length ?? 0;
  const tabs: { id: Tab; text: string; count?: string }[] = [
    { id: 'alerts', text: 'Alerts', count: loud > 0 ? ` (${loud})` : '' },
    { id: 'cost', text: 'Cost' },
    { id: 'queue', text: 'Queue' },
  ];
  return (
    <section
      className={open ? 'insights insights-open' : 'insights'}
      aria-label="Alerts, cost and queue"
      data-testid="insights"
    >
      <div className="insight-tabs" role="tablist" aria-label="Fleet insights">
        {tabs.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            id={`insight-tab-${t.id}`}
            aria-selected={open && tab === t.id}
            aria-controls={`insight-${t.id}`}
            className={open && tab === t.id ? 'insight-tab insight-tab-on' : 'insight-tab'}
            onClick={() => {
              setTab(t.id);
              if (!open) setOpen(true);
            }}
            data-testid={`insight-tab-${t.id}`}
          >
            {t.text}
            {t.count === undefined ? null : (
              // A slot of its own width: a count that comes, goes or changes moves no tab.
              <span className="insight-tab-count num">{t.count}</span>
            )}
          </button>
        ))}
        <button
          type="button"
          className="insight-fold"
          aria-expanded={open}
          onClick={() => setOpen(!open)}
          data-testid="insight-fold"
        >
          {open ? 'Hide' : 'Show'}
        </button>
      </div>
      {open ? (
        <div
          className="insight-body"
          role="tabpanel"
          id={`insight-${tab}`}
          aria-labelledby={`insight-tab-${tab}`}
        >
          {tab === 'alerts' ? <AlertsPanel /> : tab === 'cost' ? <CostPanel /> : <QueuePanel />}
        </div>
      ) : null}
    </section>
  );
}
