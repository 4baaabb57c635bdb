import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createQueryClient } from '../../../renderer/api/query-client';
import { OPEN_WITH_TOKEN_MESSAGE, TransportError } from '../../../renderer/api/transport';
import { App } from '../../../renderer/App';
import type { FleetSnapshot } from '../../../shared/fleet';
import { Proposal } from '../../../shared/proposal';
import { FakeTransport } from './fake-transport';
import { delta, disk, job, machine, NOW, seen, snapshot, source } from './fixtures';

const info = {
  name: 'Runner Watch',
  version: '0.1.0',
  host: 'serve',
  demo: true,
  startedAt: NOW,
  warnings: [],
};

function renderApp(answerSnapshot: () => Promise<unknown>, options: { fastRetry?: boolean } = {}) {
  const transport = new FakeTransport()
    .answer('rw:app:info', async () => info)
    .answer('rw:fleet:snapshot', answerSnapshot);
  const client = createQueryClient();
  // Same retry policy, no waiting between tries.
  if (options.fastRetry)
    client.setDefaultOptions({ queries: { ...client.getDefaultOptions().queries, retryDelay: 0 } });
  render(<App transport={transport} queryClient={client} />);
  return { transport, client };
}

const rows = () => screen.queryAllByTestId('machine-row');
const names = () => screen.queryAllByTestId('machine-name').map((el) => el.textContent);

beforeEach(() => {
  // Only Date is faked: "5 s ago" needs a fixed now; React and TanStack timers stay real.
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe('FleetView states', () => {
  it('says it is loading while the snapshot is on its way', async () => {
    renderApp(() => new Promise(() => {}));
    expect(await screen.findByTestId('state-loading')).toHaveProperty(
      'textContent',
      expect.stringContaining('Loading the fleet'),
    );
    expect(rows()).toHaveLength(0);
  });

  it('says "Cannot reach Runner Watch" with the reason after the retries, and retries on request', async () => {
    const { transport } = renderApp(
      () =>
        Promise.reject(
          new TransportError(
            'unreachable',
            'rw:fleet:snapshot: no answer from the Runner Watch host (fetch failed)',
          ),
        ),
      { fastRetry: true },
    );
    const state = await screen.findByTestId('state-error');
    expect(state.textContent).toContain(
      'Cannot reach Runner Watch: rw:fleet:snapshot: no answer from the Runner Watch host (fetch failed)',
    );
    expect(state.textContent).toContain('runner-watch serve');
    // Network failures may heal: one call plus three retries.
    expect(transport.count('rw:fleet:snapshot')).toBe(4);
    fireEvent.click(within(state).getByRole('button', { name: 'retry' }));
    await waitFor(() => expect(transport.count('rw:fleet:snapshot')).toBeGreaterThan(4));
  });

  it('says what failed while it is still retrying', async () => {
    renderApp(() =>
      Promise.reject(new TransportError('unreachable', 'rw:fleet:snapshot: no answer')),
    );
    const note = await screen.findByTestId('still-trying');
    expect(note.textContent).toBe('Still trying: rw:fleet:snapshot: no answer');
    expect(screen.getByTestId('state-loading')).toBeTruthy();
  });

  it('asks to open the URL with the token on a 401, without retrying', async () => {
    const { transport } = renderApp(
      () => Promise.reject(new TransportError('unauthenticated', OPEN_WITH_TOKEN_MESSAGE, 401)),
      {
        fastRetry: true,
      },
    );
    const state = await screen.findByTestId('state-auth');
    expect(state.textContent).toMatch(/open the URL with the token that runner-watch printed/i);
    expect(transport.count('rw:fleet:snapshot')).toBe(1);
  });

  it('shows the sign-in state when only the event stream says 401', async () => {
    const { transport } = renderApp(() => new Promise(() => {}));
    await screen.findByTestId('state-loading');
    act(() =>
      transport.status({
        state: 'down',
        error: new TransportError('unauthenticated', OPEN_WITH_TOKEN_MESSAGE, 401),
      }),
    );
    expect((await screen.findByTestId('state-auth')).textContent).toContain(
      OPEN_WITH_TOKEN_MESSAGE,
    );
  });

  it('says how to add machines when nothing is configured', async () => {
    renderApp(async () => snapshot([], { sources: [] }));
    const state = await screen.findByTestId('state-empty');
    expect(state.textContent).toContain(
      'No machines yet: add a Hetzner project or SSH host in the config file',
    );
    expect(screen.getByText('No sources configured.')).toBeTruthy();
  });

  it('points at the failing source when there are sources but no machines', async () => {
    const failing = source('hetzner:ci', {
      state: 'failing',
      consecutiveFailures: 3,
      lastOkAt: null,
      lastError: {
        code: 'unauthorized',
        message: 'Hetzner rejected the token of project ci (401)',
      },
    });
    renderApp(async () => snapshot([], { sources: [failing] }));
    expect((await screen.findByTestId('state-empty')).textContent).toContain('A source is failing');
    const strip = screen.getByTestId('source');
    expect(strip.textContent).toContain('failing ×3');
    expect(strip.getAttribute('title')).toContain('never ok');
    expect(screen.getByTestId('source-error').textContent).toBe(
      'unauthorized: Hetzner rejected the token of project ci (401)',
    );
  });

  it('waits for the first collection when sources are pending', async () => {
    renderApp(async () =>
      snapshot([], { sources: [source('hetzner:ci', { state: 'pending', lastOkAt: null })] }),
    );
    expect(
      await screen.findByText('Waiting for the first collection of every source…'),
    ).toBeTruthy();
    expect(screen.getByTestId('state-loading').textContent).toContain('No machines yet');
  });
});

describe('App header', () => {
  it('shows the host, the demo badge and every host warning', async () => {
    const transport = new FakeTransport()
      .answer('rw:app:info', async () => ({
        ...info,
        warnings: ['Secrets are stored as plain text (safeStorage uses basic_text)'],
      }))
      .answer('rw:fleet:snapshot', async () => snapshot([]));
    render(<App transport={transport} queryClient={createQueryClient()} />);
    expect((await screen.findByText(/v0\.1\.0 · serve/)).textContent).toContain('demo');
    expect(screen.getByRole('alert', { name: 'Host warnings' }).textContent).toContain(
      'plain text',
    );
  });
});

describe('FleetView rows', () => {
  const busy = machine('runner-b', {
    disks: seen([disk('/', 72), disk('/var/lib/docker', 91)]),
    jobs: seen([
      job(123, 'group/app', 'build'),
      job(124, null, null),
      job(125, 'group/lib', 'test'),
    ]),
  });
  const idle = machine('runner-a', { createdAt: NOW - 90 * 60_000 });
  const unknownDisk = machine('runner-c', {
    disks: seen(null),
    jobs: seen(null),
    gitlabJobs: seen(null),
    load: seen(null),
  });

  it('shows one row per machine with provider, status, disks, jobs, load, age and freshness', async () => {
    renderApp(async () => snapshot([busy, idle, unknownDisk]));
    await waitFor(() => expect(rows()).toHaveLength(3));
    expect(names()).toEqual(['runner-a', 'runner-b', 'runner-c']);
    const row = rows()[1]!;
    expect(within(row).getByTestId('status').textContent).toBe('running');
    expect(
      within(row)
        .getAllByTestId('disk-pct')
        .map((el) => el.textContent),
    ).toEqual(['72 %', '91 %']);
    const diskTitle = within(row).getAllByTestId('disk')[1]!.getAttribute('title');
    expect(diskTitle).toContain('/var/lib/docker: 91 %');
    expect(diskTitle).toContain('used / (used + available), rounded up, like df');
    expect(
      within(row)
        .getAllByTestId('job')
        .map((el) => el.textContent),
    ).toEqual(['#123 group/app build · 1 min']);
    // The job id links to the job in GitLab (and does not open the row's details).
    expect(within(row).getByRole('link', { name: 'Job 123 in GitLab' }).getAttribute('href')).toBe(
      'http://127.0.0.1:9/group/app/-/jobs/123',
    );
    expect(row.textContent).toContain('+2 more');
    // Every job is in the tooltip, including one GitLab has not named yet.
    expect(within(row).getByTestId('job').parentElement?.getAttribute('title')).toBe(
      '#123 group/app build\n#124 project 7\n#125 group/lib test',
    );
    expect(row.textContent).toContain('0.50');
    expect(row.textContent).toContain('2 h');
    expect(within(row).getByTestId('freshness').textContent).toBe('5 s ago');
    expect(rows()[0]!.textContent).toContain('idle');
    expect(rows()[0]!.textContent).toContain('1 h 30 min');
    // Unknown is never shown as empty or idle.
    expect(rows()[2]!.textContent).toContain('unknown');
    expect(rows()[2]!.textContent).not.toContain('idle');
    expect(
      screen.getByText(/Disk % = used \/ \(used \+ available\), rounded up, like df/),
    ).toBeTruthy();
  });

  it('marks stale readings as stale, with the error', async () => {
    const stale = machine('runner-s', {
      disks: {
        ...seen([disk('/', 50)], 200_000),
        stale: true,
        error: 'ssh: connect timed out after 10 s',
      },
    });
    // Not flagged by the engine, but 200 s old against a 30 s interval: stale as of now.
    const aged = machine('runner-t', {
      load: seen(
        { load1: 1, load5: 1, load15: 1, cpus: 2, memTotalBytes: null, memAvailableBytes: null },
        200_000,
      ),
    });
    renderApp(async () => snapshot([stale, aged]));
    await waitFor(() => expect(rows()).toHaveLength(2));
    const fresh = screen.getAllByTestId('freshness');
    expect(fresh[0]!.textContent).toBe('stale 3 min ago · ssh: connect timed out after 10 s');
    expect(fresh[0]!.getAttribute('title')).toContain('Stale: disks not read recently');
    expect(fresh[1]!.textContent).toBe('stale 3 min ago');
    expect(fresh[1]!.getAttribute('title')).toContain('Stale: load');
  });

  it('applies pushed deltas to the rows without asking for the snapshot again, and refetches on a gap', async () => {
    const { transport } = renderApp(async () => snapshot([idle, busy], { version: 7 }));
    await waitFor(() => expect(rows()).toHaveLength(2));
    // TanStack Query notifies observers on a later tick, hence waitFor after each push.
    act(() =>
      transport.emit(
        delta(8, { upserted: [machine('runner-a', { disks: seen([disk('/', 64)]) })] }),
      ),
    );
    await waitFor(() =>
      expect(within(rows()[0]!).getByTestId('disk-pct').textContent).toBe('64 %'),
    );
    act(() => transport.emit(delta(9, { removed: ['ci/runner-b'] })));
    await waitFor(() => expect(names()).toEqual(['runner-a']));
    expect(transport.count('rw:fleet:snapshot')).toBe(1);
    // Version 10 is missed: the next delta cannot apply, so the snapshot is fetched again.
    act(() => transport.emit(delta(11)));
    await waitFor(() => expect(transport.count('rw:fleet:snapshot')).toBe(2));
    await waitFor(() => expect(names()).toEqual(['runner-a', 'runner-b']));
  });

  it('moves the freshness of a row on a refreshed delta, and refetches on a refresh it cannot place', async () => {
    const load = {
      load1: 1,
      load5: 1,
      load15: 1,
      cpus: 2,
      memTotalBytes: null,
      memAvailableBytes: null,
    };
    const aged = machine('runner-t', { load: seen(load, 200_000) });
    const { transport } = renderApp(async () => snapshot([aged], { version: 3 }));
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(screen.getByTestId('freshness').textContent).toBe('stale 3 min ago');
    const at = NOW - 2_000;
    act(() =>
      transport.emit(
        delta(4, {
          refreshed: [
            {
              keys: ['ci/runner-t'],
              observedAt: { status: at, disks: at, jobs: at, gitlabJobs: at, load: at },
              lastSeenAt: at,
            },
          ],
        }),
      ),
    );
    await waitFor(() => expect(screen.getByTestId('freshness').textContent).toBe('2 s ago'));
    expect(transport.count('rw:fleet:snapshot')).toBe(1);
    act(() =>
      transport.emit(
        delta(5, { refreshed: [{ keys: ['ci/runner-x'], observedAt: { disks: at } }] }),
      ),
    );
    await waitFor(() => expect(transport.count('rw:fleet:snapshot')).toBe(2));
  });

  it('keeps the rows when the stream breaks, says so, and clears the notice once live again', async () => {
    const { transport } = renderApp(async () =>
      snapshot([machine('runner-a')], { generatedAt: NOW - 20_000 }),
    );
    await waitFor(() => expect(rows()).toHaveLength(1));
    const down = new TransportError('unreachable', 'event stream: the host closed the connection');
    act(() => transport.status({ state: 'down', error: down }));
    expect(screen.getByTestId('down-banner').textContent).toBe(
      'Cannot reach Runner Watch: event stream: the host closed the connection. Showing the fleet as of 20 s ago; reconnecting on its own. Commands are disabled until then.',
    );
    expect(screen.getByTestId('stream').textContent).toBe('reconnecting…');
    expect(rows()).toHaveLength(1);
    act(() => transport.status({ state: 'live' }));
    expect(screen.queryByTestId('down-banner')).toBeNull();
    act(() =>
      transport.status({
        state: 'down',
        error: new TransportError('unauthenticated', OPEN_WITH_TOKEN_MESSAGE, 401),
      }),
    );
    expect(screen.getByTestId('auth-banner').textContent).toContain(OPEN_WITH_TOKEN_MESSAGE);
  });

  it('replaces everything on a snapshot event', async () => {
    const { transport } = renderApp(async () => snapshot([idle]));
    await waitFor(() => expect(rows()).toHaveLength(1));
    act(() =>
      transport.emit({ type: 'snapshot', snapshot: snapshot([unknownDisk], { version: 1 }) }),
    );
    await waitFor(() => expect(names()).toEqual(['runner-c']));
  });

  it('moves the selection with the arrow keys and opens details with Enter', async () => {
    renderApp(async () => snapshot([busy, idle, unknownDisk]));
    await waitFor(() => expect(rows()).toHaveLength(3));
    const first = rows()[0]!;
    expect(first.tabIndex).toBe(0);
    act(() => first.focus());
    expect(first.getAttribute('aria-selected')).toBe('true');
    fireEvent.keyDown(first, { key: 'ArrowDown' });
    expect(rows()[1]!.getAttribute('aria-selected')).toBe('true');
    expect(document.activeElement).toBe(rows()[1]);
    fireEvent.keyDown(rows()[1]!, { key: 'ArrowDown' });
    fireEvent.keyDown(rows()[2]!, { key: 'ArrowDown' });
    expect(rows()[2]!.getAttribute('aria-selected')).toBe('true');
    fireEvent.keyDown(rows()[2]!, { key: 'ArrowUp' });
    fireEvent.keyDown(rows()[1]!, { key: 'Enter' });
    const details = screen.getByTestId('details');
    expect(details.getAttribute('aria-label')).toBe('Details of runner-b');
    expect(details.textContent).toContain('#123 group/app build');
    expect(details.textContent).toContain('/var/lib/docker');
    fireEvent.keyDown(rows()[1]!, { key: 'Escape' });
    expect(screen.queryByTestId('details')).toBeNull();
    // ↓ in the filter box goes back to the selected row.
    fireEvent.keyDown(screen.getByRole('searchbox', { name: 'Filter machines' }), {
      key: 'ArrowDown',
    });
    expect(document.activeElement).toBe(rows()[1]);
  });

  it('renders only a window of a large fleet, and End still reaches and focuses the last machine', async () => {
    const many = Array.from({ length: 300 }, (_, i) => machine(`runner-${i + 1}`));
    renderApp(async () => snapshot(many));
    await waitFor(() =>
      expect(screen.getByTestId('machine-count').textContent).toBe('300 machines'),
    );
    expect(rows().length).toBeGreaterThan(0);
    expect(rows().length).toBeLessThan(100);
    act(() => rows()[0]!.focus());
    fireEvent.keyDown(rows()[0]!, { key: 'End' });
    const selected = document.activeElement as HTMLElement;
    expect(selected.getAttribute('aria-rowindex')).toBe('301');
    expect(selected.textContent).toContain('runner-300');
    fireEvent.keyDown(selected, { key: 'Home' });
    expect((document.activeElement as HTMLElement).textContent).toContain('runner-1');
  });

  it('filters by name, fleet or job, and says when nothing matches', async () => {
    renderApp(async () => snapshot([busy, idle, unknownDisk]));
    await waitFor(() => expect(rows()).toHaveLength(3));
    const filter = screen.getByRole('searchbox', { name: 'Filter machines' });
    fireEvent.change(filter, { target: { value: 'group/LIB' } });
    expect(names()).toEqual(['runner-b']);
    expect(screen.getByTestId('machine-count').textContent).toBe('1 of 3 machines');
    fireEvent.change(filter, { target: { value: 'nothing-like-this' } });
    expect(screen.getByTestId('state-empty').textContent).toContain(
      'No machine matches “nothing-like-this”.',
    );
    fireEvent.click(screen.getByRole('button', { name: 'Clear the filter' }));
    expect(rows()).toHaveLength(3);
  });

  it('sorts by disk % and by jobs, fullest first, unknown last; a second click reverses', async () => {
    renderApp(async () => snapshot([busy, idle, unknownDisk]));
    await waitFor(() => expect(rows()).toHaveLength(3));
    fireEvent.click(screen.getByRole('button', { name: /Disk %/ }));
    expect(names()).toEqual(['runner-b', 'runner-a', 'runner-c']);
    fireEvent.click(screen.getByRole('button', { name: /Disk %/ }));
    expect(names()).toEqual(['runner-a', 'runner-b', 'runner-c']);
    fireEvent.click(screen.getByRole('button', { name: /Running jobs/ }));
    expect(names()).toEqual(['runner-b', 'runner-a', 'runner-c']);
    fireEvent.click(screen.getByRole('button', { name: /Name/ }));
    expect(names()).toEqual(['runner-a', 'runner-b', 'runner-c']);
  });

  it('unsubscribes from events when unmounted', async () => {
    const { transport } = renderApp(async () => snapshot([idle]) satisfies FleetSnapshot);
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(transport.subscriberCount).toBe(1);
    cleanup();
    expect(transport.subscriberCount).toBe(0);
  });

  it('says why the jobs of a fleet with probe none are unknown, in the row and the details', async () => {
    const policy = (id: string, probe: 'ssh' | 'none') => ({
      id,
      name: null,
      kind: 'autoscaled' as const,
      warnPct: 50,
      killPct: 60,
      samples: 3,
      watchedMounts: ['/'],
      mode: 'notify' as const,
      minFleetSize: 1,
      maxKillsPerHour: 4,
      probe,
    });
    // Disks from Prometheus, containers read by nobody, GitLab links no job.
    const big = machine('big-1', {
      fleet: 'big',
      disks: seen([disk('/', 95)], 5_000, 'prometheus:p'),
      jobs: { value: null, observedAt: null, stale: true, error: null, source: null },
      gitlabJobs: seen([]),
    });
    const failed = machine('runner-d', { jobs: seen(null), gitlabJobs: seen([]) });
    renderApp(async () =>
      snapshot([big, failed], { fleets: [policy('big', 'none'), policy('ci', 'ssh')] }),
    );
    await waitFor(() => expect(rows()).toHaveLength(2));
    const [bigRow, failedRow] = rows();
    const cell = within(bigRow!).getByTestId('jobs-not-probed');
    expect(cell.textContent).toBe('unknown (not probed)');
    expect(cell.getAttribute('title')).toBe(
      'Not probed over SSH (fleet probe: none): job containers unknown',
    );
    expect(within(bigRow!).getByTestId('activity').textContent).toBe('unknown');
    // unknown, never idle; and a machine of an SSH fleet keeps the generic wording
    expect(within(failedRow!).queryByTestId('jobs-not-probed')).toBeNull();
    expect(within(failedRow!).getByTestId('activity').textContent).not.toBe('idle');
    fireEvent.click(bigRow!);
    expect(screen.getByTestId('details-jobs-unknown').textContent).toBe(
      'Unknown: not probed over SSH (fleet probe: none): job containers unknown.',
    );
  });
});

describe('FleetView kill action', () => {
  const full = machine('runner-full', { disks: seen([disk('/', 92)]) });
  const busy = machine('runner-busy', { disks: seen([disk('/', 90)]) });
  const base = (m: typeof full, id: string, blocked: string[]) =>
    Proposal.parse({
      id,
      machineKey: m.key,
      machineName: m.name,
      fleet: m.fleet,
      rule: 'disk',
      action: 'hcloud-delete',
      evidence: {
        diskPct: 92,
        diskMount: '/',
        samplesOver: 3,
        idleSinceMs: 60_000,
        runningContainers: 0,
        runningJobIds: [],
        ageMs: null,
        observedAt: NOW,
      },
      blocked,
      state: 'pending',
      createdAt: NOW,
      summary: `Kill ${m.name}`,
    });

  it('offers "Kill…" only on rows with a confirmable proposal, and it opens the re-checking dialog', async () => {
    const { transport } = renderApp(async () =>
      snapshot([full, busy], {
        proposals: [base(full, 'p-full', []), base(busy, 'p-busy', ['job #7 is running'])],
      }),
    );
    transport.answer('rw:reaper:recheck', () => new Promise(() => {}));
    await waitFor(() => expect(rows()).toHaveLength(2));
    const buttons = screen.getAllByTestId('kill-button');
    expect(buttons).toHaveLength(1);
    expect(buttons[0]?.closest('tr')?.getAttribute('data-key')).toBe(full.key);
    fireEvent.click(buttons[0]!);
    await waitFor(() => expect(transport.calls).toContain('rw:reaper:recheck'));
    expect(within(screen.getByRole('dialog')).getAllByText(/runner-full/).length).toBeGreaterThan(
      0,
    );
  });
});
