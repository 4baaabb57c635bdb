import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createQueryClient } from '../../../renderer/api/query-client';
import { App } from '../../../renderer/App';
import { removalText } from '../../../renderer/removal-text';
import { FakeTransport } from './fake-transport';
import { disk, machine, NOW, seen, snapshot } from './fixtures';

// A VM this app deleted, still listed by docker-machine as `error` at 95 %: the row says
// who deleted it and when instead of a red error badge; the details drawer says so too.
const info = {
  name: 'Runner Watch',
  version: '0.1.0',
  host: 'serve',
  demo: false,
  startedAt: NOW,
  warnings: [],
  user: 'alice@ws1',
};
const killedAt = NOW - 3 * 60_000;
const hhmm = (at: number) => {
  const d = new Date(at);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
};

const deleted = machine('runner-deleted', {
  status: seen('error', 5_000, 'docker-machine:m'),
  providerStatus: 'Error',
  disks: seen([disk('/', 95)]),
  removed: { by: 'alice@ws1', at: killedAt, action: 'hcloud-delete', proposalId: 'p-1' },
});
const byOther = machine('runner-deleted-2', {
  status: seen('deleting'),
  removed: { by: 'bob@ws2', at: killedAt, action: 'machine-rm', proposalId: 'p-2' },
});
const alive = machine('runner-alive', { status: seen('error', 5_000, 'docker-machine:m') });

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe('a deleted machine in the Fleet view', () => {
  it('reads "deleted" and "by you at HH:MM" in its row and drawer; another error row stays red', async () => {
    const transport = new FakeTransport()
      .answer('rw:app:info', async () => info)
      .answer('rw:fleet:snapshot', async () => snapshot([deleted, byOther, alive]));
    render(<App transport={transport} queryClient={createQueryClient()} />);
    await waitFor(() => expect(screen.queryAllByTestId('machine-row')).toHaveLength(3));
    const rowOf = (name: string) =>
      screen
        .getAllByTestId('machine-row')
        .find((r) => r.getAttribute('data-key') === `ci/${name}`)!;
    const row = rowOf('runner-deleted');
    const badge = within(row).getByTestId('status');
    expect(badge.textContent).toBe('deleted');
    expect(badge.getAttribute('aria-label')).toBe(`deleted by you at ${hhmm(killedAt)}`);
    expect(badge.className).toContain('badge-removed');
    expect(badge.className).not.toContain('badge-error');
    expect(row.className).toContain('row-removed');
    await waitFor(() =>
      expect(within(row).getByTestId('removed-by').textContent).toBe(`by you at ${hhmm(killedAt)}`),
    );
    // Someone else's deletion names them.
    expect(within(rowOf('runner-deleted-2')).getByTestId('removed-by').textContent).toBe(
      `by bob@ws2 at ${hhmm(killedAt)}`,
    );
    const other = rowOf('runner-alive');
    expect(within(other).getByTestId('status').textContent).toBe('error');
    expect(within(other).getByTestId('status').className).toContain('badge-error');
    expect(other.className).not.toContain('row-removed');

    fireEvent.click(row);
    expect(screen.getByTestId('details-removed').textContent).toContain(
      `deleted by you at ${hhmm(killedAt)} (hcloud-delete`,
    );
  });

  it('names auto mode as the reaper, not a person', () => {
    const auto = { by: 'auto', at: killedAt, action: 'machine-rm' as const, proposalId: null };
    expect(removalText(auto, 'auto')).toBe(
      `deleted by the reaper (auto mode) at ${hhmm(killedAt)}`,
    );
  });
});
