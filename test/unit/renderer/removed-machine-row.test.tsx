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
  it('reads "deleted by … at HH:MM" in its row and drawer; another error row stays red', async () => {
    const transport = new FakeTransport()
      .answer('rw:app:info', async () => info)
      .answer('rw:fleet:snapshot', async () => snapshot([deleted, alive]));
    render(<App transport={transport} queryClient={createQueryClient()} />);
    await waitFor(() => expect(screen.queryAllByTestId('machine-row')).toHaveLength(2));
    const row = screen
      .getAllByTestId('machine-row')
      .find((r) => r.textContent?.includes('runner-deleted'))!;
    const badge = within(row).getByTestId('status');
    expect(badge.textContent).toBe(`deleted by alice@ws1 at ${hhmm(killedAt)}`);
    expect(badge.className).toContain('badge-removed');
    expect(badge.className).not.toContain('badge-error');
    const other = screen
      .getAllByTestId('machine-row')
      .find((r) => r.textContent?.includes('runner-alive'))!;
    expect(within(other).getByTestId('status').textContent).toBe('error');
    expect(within(other).getByTestId('status').className).toContain('badge-error');

    fireEvent.click(row);
    expect(screen.getByTestId('details-removed').textContent).toContain(
      `deleted by alice@ws1 at ${hhmm(killedAt)} (hcloud-delete`,
    );
  });

  it('names auto mode as the reaper, not a person', () => {
    expect(removalText({ by: 'auto', at: killedAt, action: 'machine-rm', proposalId: null })).toBe(
      `deleted by the reaper (auto mode) at ${hhmm(killedAt)}`,
    );
  });
});
