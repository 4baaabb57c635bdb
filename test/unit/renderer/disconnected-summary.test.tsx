import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createQueryClient } from '../../../renderer/api/query-client';
import { TransportError } from '../../../renderer/api/transport';
import { App } from '../../../renderer/App';
import { formatMoney } from '../../../renderer/money';
import type { CostReport } from '../../../shared/cost';
import { Proposal } from '../../../shared/proposal';
import { FakeTransport } from './fake-transport';
import { disk, machine, NOW, seen, snapshot, source } from './fixtures';

const info = {
  name: 'Runner Watch',
  version: '0.1.0',
  host: 'serve',
  demo: false,
  startedAt: NOW,
  warnings: [],
};

const pending = Proposal.parse({
  id: 'p-full',
  machineKey: 'ci/full',
  machineName: 'full',
  fleet: 'ci',
  rule: 'disk',
  action: 'hcloud-delete',
  evidence: {
    diskPct: 91,
    diskMount: '/',
    samplesOver: 3,
    idleSinceMs: 60_000,
    runningContainers: 0,
    runningJobIds: [],
    ageMs: 3_600_000,
    observedAt: NOW - 1_000,
    thresholdPct: 60,
  },
  blocked: [],
  state: 'pending',
  createdAt: NOW - 60_000,
  summary: 'Kill full (disk 91 %)',
  mode: 'notify',
});

const policy = {
  id: 'ci',
  name: null,
  kind: 'autoscaled' as const,
  warnPct: 40,
  killPct: 80,
  samples: 3,
  watchedMounts: ['/'],
  mode: 'notify' as const,
  minFleetSize: 1,
  maxKillsPerHour: 4,
};

function fleetSnapshot() {
  return snapshot(
    [
      machine('full', { disks: seen([disk('/', 91)]) }),
      machine('warm', { disks: seen([disk('/', 45)]) }),
      machine('cool', { disks: seen([disk('/', 10)]) }),
    ],
    {
      proposals: [pending],
      fleets: [policy],
      sources: [source('hetzner:ci'), source('gitlab:main', { state: 'failing' })],
    },
  );
}

function renderAt(hash: string) {
  window.location.hash = hash;
  const transport = new FakeTransport()
    .answer('rw:app:info', async () => info)
    .answer('rw:fleet:snapshot', async () => fleetSnapshot());
  render(<App transport={transport} queryClient={createQueryClient()} />);
  return transport;
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  cleanup();
  vi.useRealTimers();
  window.location.hash = '';
  document.title = '';
});

describe('fleet summary', () => {
  it('counts machines over the fleet’s own warn and kill levels, waiting proposals and failing sources, in the header and the title', async () => {
    renderAt('#fleet');
    const bar = await screen.findByTestId('fleet-summary');
    expect(bar.textContent).toContain('3 machines');
    // 91 % is over kill (80), 45 % only over warn (40): the levels come from the snapshot.
    expect(screen.getByTestId('summary-kill').textContent).toBe('1 over kill level');
    expect(screen.getByTestId('summary-warn').textContent).toBe('1 over warn level');
    expect(screen.getByTestId('summary-proposals').textContent).toBe('1 proposal waiting');
    expect(screen.getByTestId('summary-sources').textContent).toBe('1 source failing');
    // full (over kill, proposed), warm (over warn), one failing source.
    expect(document.title).toBe('(3) Runner Watch');
  });
});

describe('fleet cost in the summary', () => {
  // The report reads every job and can come seconds after the fleet: its place is held
  // meanwhile, so the items after it do not jump when it arrives (fleet.spec's no-shift check).
  it('holds its place, hidden, until the first report arrives, then shows it', async () => {
    let arrive: (report: CostReport) => void = () => undefined;
    window.location.hash = '#fleet';
    const transport = new FakeTransport()
      .answer('rw:app:info', async () => info)
      .answer('rw:fleet:snapshot', async () => fleetSnapshot())
      .answer('rw:cost:report', () => new Promise<CostReport>((resolve) => (arrive = resolve)));
    render(<App transport={transport} queryClient={createQueryClient()} />);
    const bar = await screen.findByTestId('fleet-summary');
    await waitFor(() => expect(bar.querySelector('.summary-cost-pending')).not.toBeNull());
    const held = bar.querySelector('.summary-cost-pending')!;
    expect(held.getAttribute('aria-hidden')).toBe('true');
    expect(screen.queryByTestId('summary-cost')).toBeNull();
    // It stands where the cost will: before the first alert item.
    expect(held.nextElementSibling?.getAttribute('data-testid')).toBe('summary-kill');
    await act(async () =>
      arrive({
        generatedAt: NOW,
        currency: 'EUR',
        basis: 'gross',
        pricesFetchedAt: NOW,
        fleetPerHour: 0.0571,
        fleets: [{ fleet: 'ci', perHour: 0.0571, machines: 3, unpriced: 0 }],
        machines: [],
        since: NOW - 7 * 86_400_000,
        jobs: [],
        projects: [],
        warnings: [],
      }),
    );
    const cost = await screen.findByTestId('summary-cost');
    expect(cost.textContent).toBe(`${formatMoney(0.0571, 'EUR')}/h`);
    expect(bar.querySelector('.summary-cost-pending')).toBeNull();
  });
});

describe('disk bars', () => {
  it('colour and mark at the fleet’s real warn and kill levels from the snapshot', async () => {
    renderAt('#fleet');
    await screen.findAllByTestId('disk');
    const byMachine = Object.fromEntries(
      screen.getAllByTestId('machine-row').map((row) => {
        const bar = row.querySelector('[data-testid="disk"]')!;
        return [row.getAttribute('data-key'), bar.getAttribute('data-level')];
      }),
    );
    // warn 40, kill 80: 45 % warns and 91 % is critical (the old fixed 60/85 said "ok" to 45).
    expect(byMachine).toEqual({ 'ci/full': 'critical', 'ci/warm': 'warn', 'ci/cool': 'ok' });
    const bar = screen.getAllByTestId('disk')[0]!;
    expect(bar.getAttribute('data-warn')).toBe('40');
    expect(bar.getAttribute('data-kill')).toBe('80');
    expect(bar.getAttribute('title')).toContain('warn at 40 %, kill threshold 80 %');
  });
});

describe('proposed machines', () => {
  it('are badged in their row, and the details drawer names the proposal and offers Kill…', async () => {
    renderAt('#fleet');
    const rows = await screen.findAllByTestId('machine-row');
    const full = rows.find((row) => row.getAttribute('data-key') === 'ci/full')!;
    expect(within(full).getByTestId('proposed').textContent).toBe('proposed');
    expect(within(full).getByTestId('activity').textContent).toBe('idle');
    const warm = rows.find((row) => row.getAttribute('data-key') === 'ci/warm')!;
    expect(within(warm).queryByTestId('proposed')).toBeNull();
    fireEvent.click(full);
    const details = await screen.findByTestId('details');
    expect(within(details).getByTestId('details-proposal').textContent).toContain(
      'Kill full (disk 91 % on /, idle 1 min)',
    );
    expect(within(details).getByRole('button', { name: 'Kill full…' })).toBeTruthy();
  });
});

describe('disconnected', () => {
  it('the Proposals view shows the banner, says nothing can be confirmed and disables Kill… and the mode switch', async () => {
    const transport = renderAt('#proposals');
    await screen.findByTestId('kill-button');
    expect((screen.getByTestId('kill-button') as HTMLButtonElement).disabled).toBe(false);
    act(() =>
      transport.status({ state: 'down', error: new TransportError('unreachable', 'no answer') }),
    );
    expect(screen.getByTestId('down-banner').textContent).toContain('Commands are disabled');
    expect((screen.getByTestId('kill-button') as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId('proposal-count').textContent).not.toContain('ready to confirm');
    expect(screen.getByTestId('proposal-count').textContent).toContain('none can be confirmed');
    expect(
      (screen.getByRole('combobox', { name: 'Reaper mode of ci' }) as HTMLSelectElement).disabled,
    ).toBe(true);
    expect(document.title).toBe('Runner Watch (disconnected)');
    act(() => transport.status({ state: 'live' }));
    await waitFor(() => expect(screen.queryByTestId('down-banner')).toBeNull());
    expect((screen.getByTestId('kill-button') as HTMLButtonElement).disabled).toBe(false);
  });

  it('the mode switch reads the mode in force from the snapshot, never "not reported yet"', async () => {
    renderAt('#proposals');
    const select = (await screen.findByRole('combobox', {
      name: 'Reaper mode of ci',
    })) as HTMLSelectElement;
    expect(select.value).toBe('notify');
    expect(select.textContent).not.toContain('not reported yet');
  });

  it('source chips turn unknown instead of staying green "ok" while disconnected', async () => {
    const transport = renderAt('#fleet');
    await screen.findAllByTestId('source');
    const chip = () => screen.getAllByTestId('source')[0]!;
    expect(chip().getAttribute('data-state')).toBe('ok');
    expect(chip().textContent).toContain('ok 5 s ago');
    act(() =>
      transport.status({ state: 'down', error: new TransportError('unreachable', 'no answer') }),
    );
    expect(chip().getAttribute('data-state')).toBe('unknown');
    expect(chip().textContent).not.toContain('ok');
    expect(screen.getByTestId('down-banner')).toBeTruthy();
  });
});
