import { OPEN_WITH_TOKEN_MESSAGE } from '../api/transport';
import { useFleet } from '../api/useFleet';
import { formatAgo } from '../format';
import { useNow } from '../hooks/useNow';

/**
 * Above every view: says when the host cannot be reached (or this browser is not signed
 * in) and that what is shown is as old as the last update; commands are disabled meanwhile
 * (`useConnected`). Nothing while the stream is live or still connecting.
 */
export function ConnectionBanner() {
  const { query, stream } = useFleet();
  const now = useNow();
  if (stream.state !== 'down') return null;
  // Before the first snapshot the view itself says why there is nothing to show.
  if (query.data === undefined) return null;
  if (stream.error.code === 'unauthenticated') {
    return (
      <div className="banner banner-auth" role="alert" data-testid="auth-banner">
        Live updates stopped: this browser is not signed in. {OPEN_WITH_TOKEN_MESSAGE}
      </div>
    );
  }
  if (stream.error.code === 'bad_response') return null;
  return (
    <div className="banner banner-down" role="alert" data-testid="down-banner">
      Cannot reach Runner Watch: {stream.error.message}. Showing the fleet as of{' '}
      {formatAgo(query.data.generatedAt, now)}; reconnecting on its own. Commands are disabled until
      then.
    </div>
  );
}
