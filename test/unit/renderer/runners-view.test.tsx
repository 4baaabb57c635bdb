import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createQueryClient } from '../../../renderer/api/query-client';
import { TransportError } from '../../../renderer/api/transport';
import { App } from '../../../renderer/App';
import { filterSortRunners } from '../../../renderer/views/RunnersView';
import type { InvokeChannel, RequestInputOf, ResponseOf } from '../../../shared/api';
import { Runner, type Runner as RunnerT } from '../../../shared/runner';
import { FakeTransport } from './fake-transport';
import { delta, NOW, snapshot, source } from './fixtures';

class RecordingTransport extends FakeTransport {
  readonly requests: { channel: InvokeChannel; request: unknown }[] = [];
  override invoke<C extends InvokeChannel>(
    channel: C,
    request: RequestInputOf<C>,
  ): Promise<ResponseOf<C>> {
    this.requests.push({ channel, request });
    return super.invoke(channel, request);
  }
}

const DAY = 86_400_000;
const info = {
  name: 'Runner Watch',
  version: '0.1.0',
  host: 'serve',
  demo: false,
  startedAt: NOW,
  warnings: [],
};

function runner(id: number, overrides: Partial<RunnerT> = {}): RunnerT {
  return Runner.parse({
    key: `gl/${id}`,
    instance: 'gl',
    id,
    description: `runner-${id}`,
    status: 'online',
    paused: false,
    runnerType: 'instance_type',
    version: '17.11.0',
    tags: ['docker'],
    contactedAt: NOW - 60_000,
    managers: [
      {
        id: id * 10,
        systemId: `s_${id}`,
        version: '17.11.0',
        platform: 'linux',
        architecture: 'amd64',
        ipAddress: '127.0.0.2',
        contactedAt: NOW - 60_000,
        status: 'online',
      },
    ],
    staleReason: null,
    runningJobs: 0,
    ...overrides,
  });
}

const online = runner(101, { tags: ['docker', 'hetzner'] });
const stale1 = runner(900, {
  status: 'stale',
  contactedAt: NOW - 12 * DAY,
  managers: [],
  version: '16.11.1',
  staleReason: 'GitLab reports it stale (last contact 12 days ago)',
});
const stale2 = runner(901, {
  instance: 'other',
  key: 'other/901',
  status: 'offline',
  contactedAt: null,
  paused: true,
  staleReason: 'never contacted, created 30 days ago',
});

function renderRunners(transport: FakeTransport) {
  window.location.hash = '#runners';
  transport.answer('rw:app:info', async () => info);
  render(<App transport={transport} queryClient={createQueryClient()} />);
}

const rows = () => screen.queryAllByTestId('runner-row');
const keys = () => rows().map((row) => row.getAttribute('data-key'));

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  cleanup();
  vi.useRealTimers();
  window.location.hash = '';
});

describe('RunnersView', () => {
  it('lists runners with status, version, managers, tags, last contact and paused; stale first', async () => {
    renderRunners(
      new FakeTransport().answer('rw:fleet:snapshot', async () =>
        snapshot([], { runners: [online, stale1, stale2] }),
      ),
    );
    await waitFor(() => expect(rows()).toHaveLength(3));
    expect(keys()).toEqual(['gl/900', 'other/901', 'gl/101']);
    const first = rows()[0]!;
    expect(within(first).getByTestId('runner-status').textContent).toBe('stale');
    expect(first.textContent).toContain('12 d ago');
    expect(first.textContent).toContain('16.11.1');
    expect(within(first).getByTestId('stale-reason').textContent).toBe(
      'GitLab reports it stale (last contact 12 days ago)',
    );
    expect(rows()[1]!.textContent).toContain('never');
    expect(rows()[1]!.textContent).toContain('paused');
    const last = rows()[2]!;
    expect(last.textContent).toContain('1 min ago');
    expect(last.textContent).toContain('docker, hetzner');
    expect(last.textContent).toContain('117.11.0'); // 1 manager, version 17.11.0
    // Only stale runners can be selected.
    expect(within(first).queryByRole('checkbox')).toBeTruthy();
    expect(within(last).queryByRole('checkbox')).toBeNull();
    expect(screen.getByTestId('runner-count').textContent).toBe('3 runners, 2 stale');
  });

  it('filters and sorts', async () => {
    renderRunners(
      new FakeTransport().answer('rw:fleet:snapshot', async () =>
        snapshot([], { runners: [online, stale1, stale2] }),
      ),
    );
    await waitFor(() => expect(rows()).toHaveLength(3));
    fireEvent.change(screen.getByRole('searchbox', { name: 'Filter runners' }), {
      target: { value: 'hetzner' },
    });
    expect(keys()).toEqual(['gl/101']);
    expect(screen.getByTestId('runner-count').textContent).toBe('1 of 3 runners');
    fireEvent.change(screen.getByRole('searchbox', { name: 'Filter runners' }), {
      target: { value: 'nothing-like-this' },
    });
    expect(screen.getByText(/No runner matches/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Clear the filter' }));
    fireEvent.change(screen.getByRole('combobox', { name: 'Sort runners' }), {
      target: { value: 'contact' },
    });
    // Oldest contact first, never contacted last.
    expect(keys()).toEqual(['gl/900', 'gl/101', 'other/901']);
    expect(filterSortRunners([stale2, online, stale1], '', 'instance').map((r) => r.key)).toEqual([
      'gl/101',
      'gl/900',
      'other/901',
    ]);
  });

  it('previews removal with reasons and blocked instances, then removes only the selected runners', async () => {
    const transport = new RecordingTransport()
      .answer('rw:fleet:snapshot', async () => snapshot([], { runners: [online, stale1, stale2] }))
      .answer('rw:runners:prune-preview', async () => ({
        candidates: [
          { ...stale1, reason: stale1.staleReason },
          { ...stale2, reason: stale2.staleReason },
        ].map(({ key, instance, id, description, status, contactedAt, reason }) => ({
          key,
          instance,
          id,
          description,
          status,
          contactedAt,
          reason,
        })),
        blocked: [{ instance: 'other', reason: 'token lacks manage_runner' }],
      }))
      .answer('rw:runners:prune', async () => ({
        action: 'delete',
        dryRun: false,
        batches: 1,
        results: [
          {
            key: 'gl/900',
            instance: 'gl',
            id: 900,
            description: 'runner-900',
            result: 'deleted',
            reason: 'GitLab reports it stale (last contact 12 days ago)',
          },
        ],
      }))
      .answer('rw:audit:list', async () => []);
    renderRunners(transport);
    await waitFor(() => expect(rows()).toHaveLength(3));
    fireEvent.click(screen.getByRole('button', { name: 'Preview removal' }));
    const preview = await screen.findByTestId('prune-preview');
    expect(preview.textContent).toContain('nothing has been removed');
    expect(
      within(preview)
        .getAllByTestId('candidate-reason')
        .map((el) => el.textContent),
    ).toEqual([
      'GitLab reports it stale (last contact 12 days ago)',
      'never contacted, created 30 days ago',
    ]);
    expect(within(preview).getByTestId('prune-blocked').textContent).toBe(
      'other: token lacks manage_runner',
    );
    expect(screen.getByTestId('remove-button').textContent).toBe('Remove 2 runners');
    // The preview removed nothing.
    expect(transport.requests.filter((r) => r.channel === 'rw:runners:prune')).toEqual([]);

    fireEvent.click(screen.getByRole('checkbox', { name: 'Select stale runner gl #900' }));
    expect(screen.getByTestId('remove-button').textContent).toBe('Remove 1 runner');
    fireEvent.click(screen.getByTestId('remove-button'));
    const results = await screen.findByTestId('prune-results');
    expect(within(results).getByTestId('prune-outcome').getAttribute('data-result')).toBe(
      'deleted',
    );
    expect(transport.requests.filter((r) => r.channel === 'rw:runners:prune')).toEqual([
      { channel: 'rw:runners:prune', request: { keys: ['gl/900'], action: 'delete' } },
    ]);
  });

  it('pauses instead of removing on request', async () => {
    const transport = new RecordingTransport()
      .answer('rw:fleet:snapshot', async () => snapshot([], { runners: [stale1] }))
      .answer('rw:runners:prune-preview', async () => ({
        candidates: [
          {
            key: 'gl/900',
            instance: 'gl',
            id: 900,
            description: 'runner-900',
            status: 'stale',
            contactedAt: NOW - 12 * DAY,
            reason: 'stale',
          },
        ],
        blocked: [],
      }))
      .answer('rw:runners:prune', () => new Promise(() => {}));
    renderRunners(transport);
    fireEvent.click(await screen.findByRole('button', { name: 'Preview removal' }));
    fireEvent.click(await screen.findByRole('button', { name: 'Pause 1 instead' }));
    await waitFor(() =>
      expect(transport.requests.filter((r) => r.channel === 'rw:runners:prune')).toEqual([
        { channel: 'rw:runners:prune', request: { keys: ['gl/900'], action: 'pause' } },
      ]),
    );
  });

  it('says plainly when the token lacks the scope to prune', async () => {
    renderRunners(
      new FakeTransport()
        .answer('rw:fleet:snapshot', async () => snapshot([], { runners: [stale1] }))
        .answer('rw:runners:prune-preview', async () => ({
          candidates: [
            {
              key: 'gl/900',
              instance: 'gl',
              id: 900,
              description: null,
              status: 'stale',
              contactedAt: null,
              reason: 'stale',
            },
          ],
          blocked: [],
        }))
        .answer('rw:runners:prune', () =>
          Promise.reject(new TransportError('forbidden', 'gl: 403 insufficient_scope')),
        )
        .answer('rw:audit:list', async () => []),
    );
    fireEvent.click(await screen.findByRole('button', { name: 'Preview removal' }));
    fireEvent.click(await screen.findByRole('button', { name: 'Remove 1 runner' }));
    expect((await screen.findByTestId('prune-error')).textContent).toBe(
      'Removal failed: the GitLab token lacks the scope or role for it (removing and pausing runners needs the manage_runner or api scope). gl: 403 insufficient_scope',
    );
  });

  it('says what to do when there are no runners, and follows runner deltas', async () => {
    const transport = new FakeTransport().answer('rw:fleet:snapshot', async () =>
      snapshot([], { sources: [] }),
    );
    renderRunners(transport);
    expect((await screen.findByTestId('state-empty')).textContent).toContain(
      'No GitLab instance is set up',
    );
    act(() => transport.emit(delta(2, { runners: [online] })));
    await waitFor(() => expect(keys()).toEqual(['gl/101']));
    cleanup();

    renderRunners(
      new FakeTransport().answer('rw:fleet:snapshot', async () =>
        snapshot([], { sources: [source('gitlab:gl')] }),
      ),
    );
    expect((await screen.findByTestId('state-empty')).textContent).toContain(
      'An admin token lists every runner',
    );
  });
});
