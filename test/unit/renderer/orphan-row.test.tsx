import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { OrphanStatus } from '../../../shared/orphan';
import { createQueryClient } from '../../../renderer/api/query-client';
import { App } from '../../../renderer/App';
import { FakeTransport } from './fake-transport';
import { machine, NOW, seen, snapshot } from './fixtures';

// Issue 15.2: an orphan reads "orphan" in its row with its age and cost so far, and the
// details say which manager does not list it; an unlisted server that is not proven an
// orphan has no marker in the row, only the details saying why.
const info = {
  name: 'Runner Watch',
  version: '0.1.0',
  host: 'serve',
  demo: false,
  startedAt: NOW,
  warnings: [],
  user: 'alice@ws1',
};
const DAY = 24 * 3_600_000;
const status = (patch: Partial<OrphanStatus>): OrphanStatus => ({
  state: 'orphan',
  managers: ['docker-machine on mgr-1'],
  managerSources: ['docker-machine:dm'],
  notYet: [],
  unknown: [],
  noJobSince: NOW - 6 * 3_600_000,
  lastJobId: null,
  perHour: 0.01,
  costSoFar: 0.72,
  currency: 'EUR',
  unpricedReason: null,
  ...patch,
});
const orphan = machine('runner-orphan', {
  createdAt: NOW - 3 * DAY,
  jobs: seen([]),
  orphan: status({}),
});
const unlisted = machine('runner-unlisted', {
  createdAt: NOW - 3 * DAY,
  jobs: seen([]),
  orphan: status({
    state: 'unlisted',
    unknown: ['docker-machine on mgr-1: last listing failed: exit 1'],
  }),
});
const plain = machine('runner-plain', { createdAt: NOW - DAY, jobs: seen([]) });

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe('orphans in the Fleet view', () => {
  it('marks the orphan with its cost so far; explains an unlisted server in its details only', async () => {
    const transport = new FakeTransport()
      .answer('rw:app:info', async () => info)
      .answer('rw:fleet:snapshot', async () => snapshot([orphan, unlisted, plain]));
    render(<App transport={transport} queryClient={createQueryClient()} />);
    await waitFor(() => expect(screen.queryAllByTestId('machine-row')).toHaveLength(3));
    const rowOf = (name: string) =>
      screen
        .getAllByTestId('machine-row')
        .find((r) => r.getAttribute('data-key') === `ci/${name}`)!;
    const row = rowOf('runner-orphan');
    const badge = within(row).getByTestId('orphan');
    expect(badge.textContent).toBe('orphan');
    expect(badge.getAttribute('title')).toBe(
      'not listed by docker-machine on mgr-1 · created 3 d ago · no job for 6 h · 0.72 EUR so far',
    );
    // 72 h at 0.01 EUR per hour, computed for now.
    expect(within(row).getByTestId('orphan-cost').textContent).toBe('0.72 EUR');
    expect(within(rowOf('runner-unlisted')).queryByTestId('orphan')).toBeNull();
    expect(within(rowOf('runner-plain')).queryByTestId('orphan')).toBeNull();

    fireEvent.click(row);
    const details = screen.getByTestId('details-orphan');
    expect(details.textContent).toContain(
      'The provider lists this server, docker-machine on mgr-1 does not.',
    );
    expect(details.textContent).toContain('for at least 6 h');
    expect(screen.getByTestId('details-orphan-cost').textContent).toBe(
      '0.72 EUR so far at 0.0100 EUR/h, since it was created 3 d ago.',
    );

    fireEvent.click(rowOf('runner-unlisted'));
    const why = screen.getByTestId('details-orphan');
    expect(why.textContent).toContain('Not listed by a runner manager');
    expect(within(why).getByRole('list', { name: 'Not an orphan because' }).textContent).toBe(
      'docker-machine on mgr-1: last listing failed: exit 1',
    );
  });
});
