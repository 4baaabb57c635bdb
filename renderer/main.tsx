import './zod-csp';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createQueryClient } from './api/query-client';
import { selectTransport } from './api/select-transport';
import { App } from './App';
import './styles.css';
import './timeline/timeline.css';
import './app.css';
import './insights.css';

// The serve host turned `?token=` into a cookie when it answered this page; drop the token
// from the address bar and history so it is not shared with a screenshot or a bookmark.
const url = new URL(window.location.href);
if (url.searchParams.has('token')) {
  url.searchParams.delete('token');
  window.history.replaceState(null, '', url.pathname + url.search + url.hash);
}

const container = document.getElementById('root');
if (!container) throw new Error('index.html has no #root');
createRoot(container).render(
  <StrictMode>
    <App transport={selectTransport()} queryClient={createQueryClient()} />
  </StrictMode>,
);
