import { useEffect, useState } from 'react';
import { AuditView } from '../views/AuditView';
import { FleetView } from '../views/FleetView';
import { ProposalsView } from '../views/ProposalsView';
import { RunnersView } from '../views/RunnersView';
import { TimelineView } from '../views/TimelineView';

/** The app's views, in tab order. */
export const VIEWS = ['fleet', 'timeline', 'proposals', 'runners', 'audit', 'settings'] as const;
import { SettingsView } from '../views/SettingsView';
/** One of the app's views. */
export type ViewName = (typeof VIEWS)[number];

const LABELS: Record<ViewName, string> = {
  fleet: 'Fleet',
  timeline: 'Timeline',
  proposals: 'Proposals',
  runners: 'Runners',
  audit: 'Audit',
  settings: 'Settings',
};

/** The view a location hash names (`#proposals`); anything else is the Fleet view. */
export function viewFromHash(hash: string): ViewName {
  const name = hash.replace(/^#\/?/, '');
  return (VIEWS as readonly string[]).includes(name) ? (name as ViewName) : 'fleet';
}

/**
 * The active view, kept in the location hash so a reload (or a bookmark) opens the same
 * view, and Back/Forward move between views.
 */
export function useHashView(): ViewName {
  const [view, setView] = useState<ViewName>(() => viewFromHash(window.location.hash));
  useEffect(() => {
    const onChange = () => setView(viewFromHash(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return view;
}

/** The tabs as links to their hash: keyboard reachable with Tab, opened with Enter. */
export function ViewTabs(props: { view: ViewName }) {
  return (
    <nav aria-label="Views" className="tabs">
      {VIEWS.map((name) => (
        <a
          key={name}
          href={`#${name}`}
          className={`tab${props.view === name ? ' is-active' : ''}`}
          aria-current={props.view === name ? 'page' : undefined}
          data-testid={`tab-${name}`}
        >
          {LABELS[name]}
        </a>
      ))}
    </nav>
  );
}

/** The active view's content. */
export function CurrentView(props: { view: ViewName }) {
  switch (props.view) {
    case 'timeline':
      return <TimelineView />;
    case 'proposals':
      return <ProposalsView />;
    case 'runners':
      return <RunnersView />;
    case 'audit':
      return <AuditView />;
    case 'settings':
      return <SettingsView />;
    default:
      return <FleetView />;
  }
}
