import { QueryClientProvider } from '@tanstack/react-query';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createQueryClient } from '../../../renderer/api/query-client';
import { TransportProvider } from '../../../renderer/api/TransportProvider';
import { AlertsPanel } from '../../../renderer/components/AlertsPanel';
import { CostPanel } from '../../../renderer/components/CostPanel';
import { formatMoney } from '../../../renderer/money';
import type { AlertsView } from '../../../shared/alerts';
import type { CostReport } from '../../../shared/cost';
import { JOB_COST_CSV_COLUMNS } from '../../../shared/cost-csv';
import { FakeTransport } from './fake-transport';

const saved = vi.hoisted(() => [] as { name: string; mime: string; text: string }[]);
vi.mock('../../../renderer/save-file', () => ({
  saveTextFile: (name: string, mime: string, text: string) => saved.push({ name, mime, text }),
}));

afterEach(() => {
  cleanup();
  saved.length = 0;
});

function wrap(transport: FakeTransport, children: ReactNode) {
  return render(
    <QueryClientProvider client={createQueryClient()}>
      <TransportProvider transport={transport}>{children}</TransportProvider>
    </QueryClientProvider>,
  );
}

const raised: AlertsView['raised'] = [
  {
    key: 'disk:ci/a',
    severity: 'warning',
    fleet: 'ci',
    machineKey: 'ci/a',
    title: 'Disk 55 % on a',
    quiet: null,
  },
];

describe('AlertsPanel', () => {
  it('acknowledges for the chosen time, shows it quiet, and unmutes a mute', async () => {
    const acked: AlertsView = {
      raised: [{ ...raised[0]!, quiet: { reason: 'acknowledged', by: 'me@ws', until: 2e12 } }],
      state: {
        acks: [{ alertKey: 'disk:ci/a', severity: 'warning', by: 'me@ws', at: 1, until: 2e12 }],
        mutes: [
          {
            id: 'm1',
            scope: { fleet: 'ci' },
            by: 'me@ws',
            at: 1,
            until: 2e12,
            includeCritical: false,
          },
        ],
      },
      problem: null,
    };
    const transport = new FakeTransport()
      .answer('rw:alerts:list', async () => ({
        raised,
        state: { acks: [], mutes: [] },
        problem: null,
      }))
      .answer('rw:alerts:ack', async () => acked)
      .answer('rw:alerts:end', async () => ({ ...acked, state: { ...acked.state, mutes: [] } }));
    wrap(transport, <AlertsPanel />);
    const row = await screen.findByTestId('alert-row');
    expect(within(row).getByTestId('alert-state').textContent).toBe('notifying');
    fireEvent.change(screen.getByTestId('quiet-duration'), { target: { value: '240' } });
    fireEvent.click(within(row).getByTestId('alert-ack'));
    await waitFor(() =>
      expect(screen.getByTestId('alert-state').textContent).toMatch(
        /^acknowledged by me@ws until /,
      ),
    );
    expect(transport.invocations.find((r) => r.channel === 'rw:alerts:ack')?.request).toEqual({
      alertKey: 'disk:ci/a',
      severity: 'warning',
      minutes: 240,
    });
    expect(screen.getByTestId('alert-end-ack')).toBeTruthy();
    expect(screen.getByTestId('mute-row').textContent).toContain('fleet ci');
    fireEvent.click(screen.getByTestId('unmute'));
    await waitFor(() => expect(screen.queryByTestId('mute-row')).toBeNull());
    expect(transport.invocations.find((r) => r.channel === 'rw:alerts:end')?.request).toEqual({
      muteId: 'm1',
    });
  });

  it('mutes a machine for the chosen time, critical alerts left audible', async () => {
    const transport = new FakeTransport().answer('rw:alerts:list', async () => ({
      raised,
      state: { acks: [], mutes: [] },
      problem: null,
    }));
    wrap(transport, <AlertsPanel />);
    fireEvent.click(await screen.findByTestId('alert-mute-machine'));
    await waitFor(() => expect(transport.count('rw:alerts:mute')).toBe(1));
    expect(transport.invocations.find((r) => r.channel === 'rw:alerts:mute')?.request).toEqual({
      scope: { fleet: 'ci', machineKey: 'ci/a' },
      minutes: 60,
      includeCritical: false,
    });
  });
});

const DAY = 86_400_000;
const report: CostReport = {
  generatedAt: 20 * DAY,
  currency: 'EUR',
  basis: 'gross',
  pricesFetchedAt: 20 * DAY,
  fleetPerHour: 0.0571,
  fleets: [{ fleet: 'ci', perHour: 0.0571, machines: 8, unpriced: 0 }],
  machines: [],
  since: 13 * DAY,
  jobs: [
    {
      key: 'gl/7',
      jobId: 7,
      projectPath: 'group/app',
      name: 'test',
      machine: 'vm-1',
      startedAt: 19 * DAY,
      finishedAt: 19 * DAY + 600_000,
      durationSec: 600,
      maxSharing: 2,
      cost: 0.0006,
      unpricedReason: null,
    },
  ],
  projects: [
    {
      projectPath: 'group/app',
      period: 'day',
      start: 19 * DAY,
      cost: 0.0006,
      jobs: 1,
      unpricedJobs: 0,
    },
    {
      projectPath: 'group/app',
      period: 'week',
      start: 18 * DAY,
      cost: 0.0006,
      jobs: 1,
      unpricedJobs: 1,
    },
  ],
  warnings: [],
};

describe('CostPanel', () => {
  it('shows the fleet per hour and project cost per day or week, and exports the jobs as CSV', async () => {
    const transport = new FakeTransport().answer('rw:cost:report', async () => report);
    wrap(transport, <CostPanel />);
    expect((await screen.findByTestId('cost-per-hour')).textContent).toBe(
      `${formatMoney(0.0571, 'EUR')}/h`,
    );
    const day = screen.getByTestId('project-cost-row');
    expect(day.textContent).toContain('group/app');
    expect(day.textContent).toContain('1970-01-20');
    expect(day.textContent).toContain(formatMoney(0.0006, 'EUR'));
    fireEvent.change(screen.getByTestId('cost-period'), { target: { value: 'week' } });
    const week = screen.getByTestId('project-cost-row');
    expect(week.textContent).toContain('week of 1970-01-19');
    expect(week.textContent).toContain('+1 unpriced');
    fireEvent.click(screen.getByTestId('cost-export'));
    expect(saved).toHaveLength(1);
    expect(saved[0]?.name).toBe('runner-watch-job-cost-1970-01-21.csv');
    expect(saved[0]?.mime).toBe('text/csv');
    const lines = saved[0]?.text.split('\r\n') ?? [];
    expect(lines[0]).toBe(JOB_COST_CSV_COLUMNS.join(','));
    expect(lines[1]).toContain(',gl/7,group/app,test,vm-1,600,2,0.0006,EUR,gross,');
  });
});

describe('formatMoney', () => {
  it('shows cents, and four places for fractions of a cent (never "0.00" for a cost)', () => {
    expect(formatMoney(1.5, 'EUR')).toMatch(/1[.,]50/);
    expect(formatMoney(0.0006, 'EUR')).toMatch(/0[.,]0006/);
    expect(formatMoney(0, 'EUR')).toMatch(/0[.,]00/);
    expect(formatMoney(2, 'XYZ1')).toBe('2.00 XYZ1');
  });
});
