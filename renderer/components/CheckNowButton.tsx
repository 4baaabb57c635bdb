import { useCheckNow } from '../api/useCheckNow';
import { formatDateTime } from '../format';

/**
 * "Check now": one collection cycle at once, like the tray's entry. Disabled while it runs;
 * the new data arrives with the fleet events, this only says when the check ended.
 */
export function CheckNowButton() {
  const check = useCheckNow();
  const result = check.data;
  const title = check.error
    ? `The check failed: ${check.error.message}`
    : result
      ? `Last check ended ${formatDateTime(result.finishedAt)}${result.failingSources > 0 ? `; ${result.failingSources} source(s) failing` : ''}`
      : 'Collect every source now instead of waiting for its interval';
  return (
    <button
      type="button"
      className="check-now"
      disabled={check.isPending}
      onClick={() => check.mutate()}
      title={title}
      data-testid="check-now"
    >
      {check.isPending ? 'Checking…' : 'Check now'}
    </button>
  );
}
